import { foreignOutputKeys, type JobError, type JobOutput } from "../contract/index.ts";
import { finished, lastSign, secs } from "./attempt.ts";
import type { KeptError, LifecycleContext, LifecycleEvent, RunpodView } from "./types.ts";

type Check = Extract<LifecycleEvent, { type: "TIMEOUT" }>;

/**
 * What the alarm's look at a job in flight decides, from RunPod's /status and the clocks:
 * - `ready`: RunPod holds this attempt's result, naming only this item's keys;
 * - `failed`: RunPod ended the job (its own result's error, or what its status means);
 * - `stuck`: we give up on it (hard ceiling, queue ceiling, silence) and cancel it;
 * - `waiting`: the job is alive (queued within the ceiling, or heard from lately): look again later;
 * - `origin`: RunPod never confirmed the dispatch and nothing was heard: back where it came from.
 */
export type TimeoutVerdict =
  | { to: "ready"; output: JobOutput }
  | { to: "failed" | "stuck"; error: JobError }
  | { to: "waiting"; lastActivityAt: number | null; deadlineAt: number }
  | { to: "origin" };

const ENDED: readonly RunpodView["status"][] = ["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"];

/** The decision, in order: RunPod's word first, then the hard ceiling, the queue, the stall window. */
export function timeoutVerdict(c: LifecycleContext, e: Check): TimeoutVerdict {
  const result = e.runpod.result;
  if (result?.status === "completed" && result.attemptId === c.attemptId && foreignOutputKeys(result.output, { creatorId: c.creatorId, mediaId: c.mediaId, attemptId: c.attemptId ?? "" }).length === 0) {
    return { to: "ready", output: result.output };
  }
  if (result?.status === "failed") return { to: "failed", error: result.error };
  if (ENDED.includes(e.runpod.status)) return { to: "failed", error: errorFromRunpod(e.runpod) };
  if (c.hardDeadlineAt !== null && e.at >= c.hardDeadlineAt) {
    return stuck(`Job ran past its hard ceiling for this media's duration (${new Date(c.hardDeadlineAt).toISOString()}); cancelled`);
  }
  // A queued job is judged by the queue ceiling alone, never by the stall window.
  if (e.runpod.status === "IN_QUEUE") {
    if (e.at < (c.startedAt ?? 0) + e.policy.queueCeilingMs) return waiting(c, e);
    return stuck(`Job waited in RunPod's queue for more than ${secs(e.policy.queueCeilingMs)}; cancelled`);
  }
  if (e.at - lastSign(c) < e.policy.stallMs) return waiting(c, e);
  // A lost /run answer and then silence for the stall window: RunPod most likely never took the
  // job. Nothing is spent; should the job show up after all, its first progress gets it cancelled.
  if (c.jobId === null && c.dispatchUnconfirmed) return { to: "origin" };
  return stuck(`No progress from the job for ${secs(e.at - lastSign(c))} (RunPod: ${e.runpod.status}); cancelled`);
}

/** The context after a verdict that keeps the item or ends its attempt (`origin` is the refund's). */
export function afterVerdict(c: LifecycleContext, at: number, v: TimeoutVerdict): Partial<LifecycleContext> {
  switch (v.to) {
    case "ready":
      return finished(c, { at, output: v.output });
    case "failed":
    case "stuck":
      return finished(c, { at, error: v.error });
    case "waiting":
      return { lastActivityAt: v.lastActivityAt, deadlineAt: v.deadlineAt };
    case "origin":
      return {};
  }
}

/** Why an unconfirmed dispatch is given up (the refund's error). */
export const unconfirmedError = (c: LifecycleContext, e: Check): KeptError => ({
  code: "DISPATCH_FAILED",
  message: `RunPod never confirmed the job and nothing was heard from it for ${secs(e.at - lastSign(c))}`,
  retriable: true,
});

const stuck = (message: string): TimeoutVerdict => ({ to: "stuck", error: { code: "TIMED_OUT", message, retriable: true } });

/** The job is alive (queued, or sending progress): look again when it could next count as stuck. */
function waiting(c: LifecycleContext, e: Check): TimeoutVerdict {
  const queued = e.runpod.status === "IN_QUEUE";
  const lastActivityAt = queued ? e.at : c.lastActivityAt;
  const candidates = [(lastActivityAt ?? c.startedAt ?? e.at) + e.policy.stallMs];
  if (queued) candidates.push((c.startedAt ?? e.at) + e.policy.queueCeilingMs);
  if (c.hardDeadlineAt !== null) candidates.push(c.hardDeadlineAt);
  return { to: "waiting", lastActivityAt, deadlineAt: Math.max(e.at + 1, Math.min(...candidates)) };
}

/** What RunPod's terminal status means when the handler left no result of its own. */
function errorFromRunpod(view: RunpodView): JobError {
  switch (view.status) {
    case "CANCELLED":
      return { code: "CANCELLED", message: "RunPod reports the job cancelled", retriable: true };
    case "FAILED":
      return { code: "INTERNAL", message: `RunPod reports the job failed: ${view.detail ?? "no detail"}`, retriable: true };
    case "TIMED_OUT":
      return { code: "TIMED_OUT", message: "RunPod stopped the job at its execution timeout", retriable: true };
    case "COMPLETED":
      return { code: "INTERNAL", message: "RunPod reports the job completed, without a usable result for this attempt", retriable: true };
    default:
      return { code: "TIMED_OUT", message: `Job still ${view.status} at its deadline; cancelled`, retriable: true };
  }
}
