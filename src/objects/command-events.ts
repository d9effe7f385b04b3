import type { CallbackPayload } from "../contract/index.ts";
import { stuckJobBudgetMs, type Config } from "../config.ts";
import type { Actor, Admission, LifecycleEvent } from "../machine/index.ts";
import type { Command } from "./commands.ts";
import type { LifecycleRecord } from "./record.ts";

/** The facts a command's event needs that only the outside world knows (I/O lives behind these). */
export interface EventFacts {
  config: Config;
  inputExists(rec: LifecycleRecord): Promise<boolean>;
  /** Completes the item's upload for this actor and checks the bytes (see MediaObject.finishUpload). */
  finishUpload(rec: LifecycleRecord, actor: Actor): Promise<{ objectExists: boolean; rejected: string | null }>;
  /** Takes one of the creator's job slots for this attempt, or says why not. */
  admit(rec: LifecycleRecord, attemptId: string): Promise<Admission>;
}

/**
 * Turns a command into a machine event, gathering the facts its guards need. `admitted` names the
 * attempt for which a creator's job slot was taken (the object gives it back if the attempt does not start).
 */
export async function eventFor(rec: LifecycleRecord, command: Command, facts: EventFacts): Promise<{ event: LifecycleEvent; admitted: string | null }> {
  const at = Date.now();
  switch (command.type) {
    case "CALLBACK":
      return { event: callbackEvent(command.payload, at, facts.config), admitted: null };
    case "CANCEL":
    case "DELETE":
      return { event: { type: command.type, actor: command.actor, at }, admitted: null };
    case "UPLOAD_COMPLETE":
      return { event: { type: "UPLOAD_COMPLETE", actor: command.actor, ...(await facts.finishUpload(rec, command.actor)) }, admitted: null };
    case "TRIGGER":
    case "RETRY": {
      const expected = command.type === "TRIGGER" ? "uploaded" : "failed";
      const attemptId = crypto.randomUUID();
      const inputExists = rec.value === expected ? await facts.inputExists(rec) : false;
      // The creator's limits are asked only when the item could start; any other answer is decided by the machine.
      const admission: Admission = inputExists ? await facts.admit(rec, attemptId) : { ok: true };
      return {
        event: {
          type: command.type,
          actor: command.actor,
          inputExists,
          admission,
          attemptId,
          at,
          // The first look at the job: a stall window after dispatch.
          deadlineAt: at + facts.config.stuckJob.stallSeconds * 1000,
        },
        admitted: inputExists && admission.ok ? attemptId : null,
      };
    }
  }
}

function callbackEvent(p: CallbackPayload, at: number, config: Config): LifecycleEvent {
  switch (p.status) {
    case "progress": {
      // The worker reports the probed duration with its progress: the job's hard ceiling counts
      // from here, so time spent in RunPod's queue is not taken from the encode.
      const hardDeadlineAt = p.durationSeconds == null ? null : at + stuckJobBudgetMs(config, p.durationSeconds);
      return { type: "PROGRESS", attemptId: p.attemptId, eventId: p.eventId, jobId: p.jobId, phase: p.phase, percent: p.percent, at, hardDeadlineAt };
    }
    case "completed":
      return { type: "COMPLETED", attemptId: p.attemptId, eventId: p.eventId, jobId: p.jobId, output: p.output, at };
    case "failed":
      return { type: "FAILED", attemptId: p.attemptId, eventId: p.eventId, jobId: p.jobId, error: p.error, at };
  }
}
