import type { CallbackPayload } from "../contract/index.ts";
import { stuckJobBudgetMs, type Config } from "../config.ts";
import type { Admission, LifecycleEvent, RunpodView } from "../machine/index.ts";
import { splitting } from "../machine/split.ts";
import type { Command } from "./commands.ts";
import type { LifecycleRecord } from "./record.ts";

/** The facts a command's event needs that only the outside world knows (I/O lives behind these). */
export interface EventFacts {
  config: Config;
  inputExists(rec: LifecycleRecord): Promise<boolean>;
  /** Completes the item's upload and checks the bytes (size against the declared, first bytes against the type). */
  finishUpload(rec: LifecycleRecord): Promise<{ objectExists: boolean; rejected: string | null }>;
  /** Takes one of the creator's job slots for this attempt, or says why not. */
  admit(rec: LifecycleRecord, attemptId: string): Promise<Admission>;
  /** RunPod's view of the item's job. */
  runpodStatus(jobId: string): Promise<RunpodView>;
}

/**
 * A command as a machine event. Where the event's guards need facts from outside (storage, the
 * creator's limits), `draft` assumes the facts are favourable and `gather` learns them: the object
 * asks the pure machine about the draft first and gathers only what it would accept, so an upload
 * is completed and a creator's slot taken only for an event the machine wants, and the machine
 * alone decides what happens.
 */
export interface Drafted {
  draft: LifecycleEvent;
  gather?: () => Promise<LifecycleEvent>;
}

export function draftFor(rec: LifecycleRecord, command: Command, facts: EventFacts): Drafted {
  const at = Date.now();
  switch (command.type) {
    case "CALLBACK": {
      const p = command.payload;
      if (p.status === "ingested") {
        // The copy is in: the upload completes as a client's would, with the same checks; a copy
        // they refuse (not media, a playlist) is the ingest's failure, and the item waits for another.
        const draft: LifecycleEvent = { type: "UPLOAD_COMPLETE", actor: { kind: "service" }, objectExists: true, rejected: null };
        const ingestId = p.ingest.id;
        if (rec.context.ingest?.id !== ingestId || rec.context.ingest.status !== "running") {
          return { draft: { type: "INGEST", step: { kind: "failed", id: ingestId, error: { code: "INTERNAL", message: "word from an ingest that is over", retriable: false } } } };
        }
        return {
          draft,
          gather: async () => {
            const found = await facts.finishUpload(rec);
            if (found.rejected) return { type: "INGEST", step: { kind: "failed", id: ingestId, error: { code: "INPUT_UNREADABLE", message: found.rejected.replace(/\. Start a new upload.*$/, ""), retriable: false } } };
            if (!found.objectExists) return { type: "INGEST", step: { kind: "failed", id: ingestId, error: { code: "INPUT_NOT_FOUND", message: "The copy is not in storage", retriable: true } } };
            return { ...draft, ...found };
          },
        };
      }
      return { draft: callbackEvent(p, at, facts.config) };
    }
    case "CANCEL":
    case "DELETE":
      return { draft: { type: command.type, actor: command.actor, at } };
    case "INGEST":
      return { draft: { type: "INGEST", actor: command.actor, step: { kind: "request", id: crypto.randomUUID(), url: command.url, maxBytes: command.maxBytes, transcode: command.transcode, at, deadlineAt: at + facts.config.stuckJob.stallSeconds * 1000 } } };
    case "TOUCH_UP":
      // One stall window for the whole small job: it is not reconciled through RunPod, only given up on.
      return { draft: { type: "TOUCH_UP", actor: command.actor, step: { kind: "request", id: crypto.randomUUID(), request: command.request, at, deadlineAt: at + facts.config.stuckJob.stallSeconds * 1000 } } };
    case "UPLOAD_COMPLETE": {
      const draft: LifecycleEvent = { type: "UPLOAD_COMPLETE", actor: command.actor, objectExists: true, rejected: null };
      return { draft, gather: async () => ({ ...draft, ...(await facts.finishUpload(rec)) }) };
    }
    case "TRIGGER":
    case "RETRY": {
      const attemptId = crypto.randomUUID();
      // The first look at the job: a stall window after dispatch.
      const draft = { type: command.type, actor: command.actor, inputExists: true, admission: { ok: true }, attemptId, at, deadlineAt: at + facts.config.stuckJob.stallSeconds * 1000 } as const;
      return {
        draft,
        gather: async () => {
          // The creator's limits are asked only for an original that is there.
          if (!(await facts.inputExists(rec))) return { ...draft, inputExists: false };
          return { ...draft, admission: await facts.admit(rec, attemptId) };
        },
      };
    }
  }
}

/** The attempt for which this event holds one of the creator's job slots (taken by `gather`), if any. */
export const heldSlot = (event: LifecycleEvent): string | null =>
  (event.type === "TRIGGER" || event.type === "RETRY") && event.inputExists && event.admission.ok ? event.attemptId : null;

/** The alarm's look at a job in flight: RunPod's /status, and the stuck-job policy. */
export async function timeoutEvent(rec: LifecycleRecord, facts: EventFacts): Promise<LifecycleEvent> {
  const jobId = rec.context.jobId;
  // A split in flight is judged by the silence of its parts: no /status to ask.
  const runpod: RunpodView = splitting(rec.context)
    ? { status: "IN_PROGRESS", result: null, detail: "a split video's parts are judged by their silence" }
    : jobId
      ? await facts.runpodStatus(jobId)
      : { status: "NOT_FOUND", result: null, detail: "RunPod never confirmed the job" };
  const { stallSeconds, queueCeilingSeconds } = facts.config.stuckJob;
  return { type: "TIMEOUT", at: Date.now(), runpod, policy: { stallMs: stallSeconds * 1000, queueCeilingMs: queueCeilingSeconds * 1000 } };
}

/** A callback as its event; an ingest's `ingested` completes the upload, with its facts, in draftFor. */
function callbackEvent(p: Exclude<CallbackPayload, { status: "ingested" }>, at: number, config: Config): LifecycleEvent {
  switch (p.status) {
    case "progress": {
      if (p.ingest) return { type: "INGEST", step: { kind: "progress", id: p.ingest.id, bytes: p.ingest.bytes, totalBytes: p.ingest.totalBytes, deadlineAt: at + config.stuckJob.stallSeconds * 1000 } };
      if (p.touchUp) return { type: "TOUCH_UP", step: { kind: "progress", id: p.touchUp.id, eventId: p.eventId } };
      if (p.chunk) return { type: "CHUNK", attemptId: p.attemptId, eventId: p.eventId, index: p.chunk.index, try: p.chunk.try, report: { kind: "progress", percent: p.percent, jobId: p.jobId }, at };
      // The worker reports the probed duration with its progress: the job's hard ceiling counts
      // from here, so time spent in RunPod's queue is not taken from the encode.
      const hardDeadlineAt = p.durationSeconds == null ? null : at + stuckJobBudgetMs(config, p.durationSeconds);
      return { type: "PROGRESS", attemptId: p.attemptId, eventId: p.eventId, jobId: p.jobId, phase: p.phase, percent: p.percent, at, hardDeadlineAt, ...(p.playableSeconds === undefined ? {} : { playableSeconds: p.playableSeconds }) };
    }
    case "completed":
      return { type: "COMPLETED", attemptId: p.attemptId, eventId: p.eventId, jobId: p.jobId, output: p.output, at };
    case "failed":
      if (p.ingest) return { type: "INGEST", step: { kind: "failed", id: p.ingest.id, error: p.error } };
      if (p.touchUp) return { type: "TOUCH_UP", step: { kind: "failed", id: p.touchUp.id, eventId: p.eventId, jobId: p.jobId, error: p.error, at } };
      if (p.chunk) return { type: "CHUNK", attemptId: p.attemptId, eventId: p.eventId, index: p.chunk.index, try: p.chunk.try, report: { kind: "failed", error: p.error, jobId: p.jobId }, at };
      return { type: "FAILED", attemptId: p.attemptId, eventId: p.eventId, jobId: p.jobId, error: p.error, at };
    case "chunk-completed":
      return { type: "CHUNK", attemptId: p.attemptId, eventId: p.eventId, index: p.chunk.index, try: p.chunk.try, report: { kind: "completed", encodeSeconds: p.encodeSeconds, jobId: p.jobId }, at };
    case "rest-completed":
      return { type: "REST_COMPLETED", attemptId: p.attemptId, eventId: p.eventId, jobId: p.jobId, at };
    case "touched-up":
      return { type: "TOUCH_UP", step: { kind: "done", id: p.touchUp.id, eventId: p.eventId, jobId: p.jobId, output: p.output, at } };
    case "planned": {
      const { maxWorkers, chunkRetries } = config.fanout;
      return {
        type: "PLANNED",
        attemptId: p.attemptId,
        eventId: p.eventId,
        jobId: p.jobId,
        task: p.task,
        policy: { maxWorkers, chunkRetries, stallMs: config.stuckJob.stallSeconds * 1000 },
        at,
        hardDeadlineAt: at + stuckJobBudgetMs(config, p.durationSeconds),
      };
    }
  }
}
