import { downloadKey, posterKey, type JobError, type TouchUpOutput, type TouchUpRequest } from "../contract/index.ts";
import type { SideJobResult } from "./side-job.ts";
import type { KeptError, LifecycleContext, LifecycleState } from "./types.ts";

/**
 * Touch-ups of a ready item (a new poster frame, downloads asked for later): one at a time, each
 * a small job under the ready attempt's keys. Pure: what a step does to the context and which
 * effects it asks of the object. The item stays `ready` whatever happens to a touch-up.
 */
export interface TouchUpState {
  id: string;
  request: TouchUpRequest;
  status: "running" | "failed";
  jobId: string | null;
  requestedAt: number;
  /** When the alarm gives up on its job (TIMED_OUT); it is small, so one window covers it. */
  deadlineAt: number;
  error: KeptError | null;
}

export type TouchUpStep =
  | { kind: "request"; id: string; request: TouchUpRequest; at: number; deadlineAt: number }
  | { kind: "dispatched"; id: string; jobId: string }
  | { kind: "progress"; id: string; eventId: string }
  | { kind: "failed"; id: string; eventId: string | null; jobId: string | null; error: JobError | KeptError; at: number }
  | { kind: "done"; id: string; eventId: string; jobId: string | null; output: TouchUpOutput; at: number }
  | { kind: "timeout"; at: number };


const running = (c: LifecycleContext) => (c.touchUp?.status === "running" ? c.touchUp : null);

/** The keys a touch-up's output names that are not the ones it may write. Empty: all good. */
export function foreignTouchUpKeys(c: LifecycleContext, id: string, output: TouchUpOutput): string[] {
  const scope = { creatorId: c.creatorId, mediaId: c.mediaId, attemptId: c.attemptId ?? "" };
  const bad: string[] = [];
  if (output.thumbnail && output.thumbnail.key !== posterKey(scope, id)) bad.push(output.thumbnail.key);
  const names = new Set<string>();
  for (const d of output.downloads ?? []) if (d.key !== downloadKey(scope, d.name) || names.size === names.add(d.name).size) bad.push(d.key);
  return bad;
}

export function touchUpStep(c: LifecycleContext, state: LifecycleState, step: TouchUpStep): SideJobResult {
  const now = running(c);
  switch (step.kind) {
    case "request": {
      if (state !== "ready" || !c.output) return { outcome: "refused", code: "INVALID_STATE", message: `Only a ready item can be touched up; this one is ${state}` };
      if (now) return { outcome: "refused", code: "INVALID_STATE", message: "A touch-up of this item is running; wait for it to finish" };
      if (step.request.thumbnailSeconds !== undefined && c.mediaType !== "video") return { outcome: "refused", code: "INVALID_STATE", message: "An audio item has no thumbnail" };
      const touchUp: TouchUpState = { id: step.id, request: step.request, status: "running", jobId: null, requestedAt: step.at, deadlineAt: step.deadlineAt, error: null };
      return { outcome: "applied", effects: [{ type: "dispatch", id: step.id }], context: { touchUp } };
    }
    case "dispatched":
      // A job for a touch-up nobody waits for any more is not wanted.
      if (now?.id !== step.id) return { outcome: "ignored", reason: "dispatch of a touch-up that is over", effects: [{ type: "cancel", jobId: step.jobId }] };
      return { outcome: "applied", effects: [], context: { touchUp: { ...now, jobId: step.jobId } } };
    case "progress":
      return { outcome: "ignored", reason: "a touch-up's progress is not kept", effects: [] };
    case "failed":
      if (now?.id !== step.id) return { outcome: "ignored", reason: "failure of a touch-up that is over", effects: [] };
      return { outcome: "applied", effects: [], context: { touchUp: { ...now, status: "failed", error: { code: step.error.code, message: step.error.message, retriable: step.error.retriable } } } };
    case "done": {
      if (now?.id !== step.id || !c.output) return { outcome: "ignored", reason: "result of a touch-up that is over", effects: [] };
      const foreign = foreignTouchUpKeys(c, step.id, step.output);
      if (foreign.length) return { outcome: "refused", code: "INVALID_OUTPUT", message: `The touch-up names keys that are not this item's: ${foreign.join(", ")}` };
      const { thumbnail, downloads } = step.output;
      const output = {
        ...c.output,
        ...(thumbnail ? { thumbnailKey: thumbnail.key, thumbnailSeconds: thumbnail.seconds } : {}),
        ...(downloads ? { downloads } : {}),
      };
      return {
        outcome: "applied",
        effects: [],
        context: {
          output,
          touchUp: null,
          // What the item asked for last is what it has now.
          ...(now.request.thumbnailSeconds !== undefined ? { requestedThumbnailSeconds: now.request.thumbnailSeconds } : {}),
          ...(now.request.downloads ? { downloadsRequested: now.request.downloads } : {}),
        },
      };
    }
    case "timeout":
      if (!now || step.at < now.deadlineAt) return { outcome: "ignored", reason: "no touch-up past its deadline", effects: [] };
      return {
        outcome: "applied",
        effects: now.jobId ? [{ type: "cancel", jobId: now.jobId }] : [],
        context: { touchUp: { ...now, status: "failed", error: { code: "TIMED_OUT", message: "The touch-up's job did not finish in time", retriable: true } } },
      };
  }
}

/** Whether the alarm must look at a touch-up, and when. */
export const touchUpDeadline = (c: LifecycleContext): number | null => running(c)?.deadlineAt ?? null;
/** A touch-up job still running as the item goes away: cancelled. */
export const touchUpJob = (c: LifecycleContext): string | null => running(c)?.jobId ?? null;
