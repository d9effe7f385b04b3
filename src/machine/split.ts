import type { JobError } from "../contract/index.ts";
import { lastSign, playableAfter, remember, secs } from "./attempt.ts";
import { chunkCompleted, chunkDispatched, chunkFailed, chunkProgress, chunksPublished, checkStalls, failAll, fanoutPercent, nextStallAt, playableSeconds, publishEffects, restCompleted, restProgress, soundPublished, startFanout, type FanoutState, type FanoutStep } from "./fanout.ts";
import type { LifecycleContext, LifecycleEvent, Split } from "./types.ts";

/**
 * The lifecycle's side of a video split across workers: which fan-out step (./fanout.ts) an
 * event means, and what the item's context becomes. Pure, like the rest of the machine; the
 * lifecycle's transitions call these twice (once for the effects, once for the context), which
 * is the same answer both times.
 */
type E<T extends LifecycleEvent["type"]> = Extract<LifecycleEvent, { type: T }>;
export type SplitEvent = E<"PLANNED"> | E<"CHUNK"> | E<"REST_COMPLETED"> | E<"TIMEOUT"> | E<"PUBLISHED">;

/** The split of the attempt in flight, if the video was split and the stitch has not begun. */
export const splitting = (c: LifecycleContext): Split | null => (c.fanout && !c.fanout.stitching ? c.fanout : null);

export function splitStep(c: LifecycleContext, e: SplitEvent): FanoutStep {
  if (e.type === "PLANNED") return startFanout(e.task.chunks.chunks, e.task.chunks.fps, e.task.length, e.policy, e.at);
  const split = splitting(c);
  // Guarded by the machine; an event without a split in flight changes nothing.
  if (!split) return { state: c.fanout?.state ?? emptyState, effects: [], outcome: "ignored" };
  const s = split.state;
  switch (e.type) {
    case "REST_COMPLETED":
      return restCompleted(s, e.at);
    case "PUBLISHED":
      return chunksPublished(s, e.chunks);
    case "TIMEOUT":
      return splitTimeout(c, s, e.at);
    case "CHUNK": {
      const r = e.report;
      switch (r.kind) {
        case "dispatched":
          return chunkDispatched(s, e.index, e.try, r.jobId, e.at);
        case "progress":
          return chunkProgress(withJobId(s, e.index, e.try, r.jobId), e.index, e.try, r.percent, e.at);
        case "completed":
          return chunkCompleted(s, e.index, e.try, r.encodeSeconds, e.at);
        case "failed":
          return chunkFailed(withJobId(s, e.index, e.try, r.jobId), e.index, e.try, r.error, e.at);
      }
    }
  }
}

const emptyState: FanoutState = { chunks: [], rest: { done: true, percent: 100 }, policy: { maxWorkers: 1, chunkRetries: 0, stallMs: 0 } };

/** A try whose /run answer was lost names its job with its first callback: kept, so that it can be cancelled. */
function withJobId(state: FanoutState, index: number, tryNo: number, jobId: string | null): FanoutState {
  const c = state.chunks[index];
  if (!jobId || !c || c.status !== "running" || c.try !== tryNo || c.jobId) return state;
  return { ...state, chunks: state.chunks.map((x) => (x.index === index ? { ...x, jobId } : x)) };
}

/**
 * The alarm's look at a split in flight, from the clocks alone (RunPod is not asked: each chunk
 * job is judged by its silence): past the item's hard ceiling, or the whole-file job silent for
 * the stall window, the item fails; a silent chunk is tried again.
 */
function splitTimeout(c: LifecycleContext, s: FanoutState, at: number): FanoutStep {
  const timedOut = (message: string): JobError => ({ code: "TIMED_OUT", message, retriable: true });
  if (c.hardDeadlineAt !== null && at >= c.hardDeadlineAt) return failAll(s, timedOut(`The split job ran past its hard ceiling for this media's duration (${new Date(c.hardDeadlineAt).toISOString()}); cancelled`));
  if (!s.rest.done && at - lastSign(c) >= s.policy.stallMs) return failAll(s, timedOut(`No progress from the whole-file job for ${secs(at - lastSign(c))}; cancelled`));
  const step = checkStalls(s, at);
  // A publish that failed (object storage down) is tried again with the alarm's look.
  return step.outcome === "running" ? { ...step, effects: [...step.effects, ...publishEffects(step.state)] } : step;
}

/** When the alarm must look at a split next: the first silent chunk, the whole-file job's silence, the hard ceiling. */
function splitDeadline(c: LifecycleContext, s: FanoutState, at: number, lastActivityAt: number | null): number {
  const candidates = [nextStallAt(s), s.rest.done ? null : (lastActivityAt ?? at) + s.policy.stallMs, c.hardDeadlineAt].filter((t): t is number => t !== null);
  return Math.max(at + 1, candidates.length ? Math.min(...candidates) : at + s.policy.stallMs);
}

/** The context after a fan-out step that keeps the item transcoding (running, or every part in: the stitch is next). */
export function afterSplit(c: LifecycleContext, e: SplitEvent, step: FanoutStep): Partial<LifecycleContext> {
  const task = e.type === "PLANNED" ? e.task : c.fanout!.task;
  const seen = "eventId" in e && e.eventId ? remember(c.seenEventIds, e.eventId) : c.seenEventIds;
  if (step.outcome === "complete") {
    // The stitch job becomes the attempt's job: the ordinary stuck-job check watches it from here.
    return { fanout: { task, state: step.state, stitching: true }, percent: 99, jobId: null, dispatchUnconfirmed: false, lastActivityAt: e.at, deadlineAt: e.at + step.state.policy.stallMs, seenEventIds: seen };
  }
  const planned = e.type === "PLANNED";
  const lastActivityAt = planned ? e.at : c.lastActivityAt;
  const hardDeadlineAt = planned ? (c.hardDeadlineAt ?? e.hardDeadlineAt) : c.hardDeadlineAt;
  const next = { ...c, hardDeadlineAt };
  return {
    fanout: { task, state: step.state, stitching: false },
    percent: Math.max(c.percent, fanoutPercent(step.state)),
    ...playableAfter(c, playableSeconds(step.state), e.at),
    ...(planned ? { jobId: c.jobId ?? e.jobId, lastActivityAt, hardDeadlineAt, phase: "encoding" as const } : {}),
    deadlineAt: splitDeadline(next, step.state, e.at, lastActivityAt),
    seenEventIds: seen,
  };
}

/** The whole-file job's progress while the chunks run: its own percent, weighed into the item's. */
export function splitProgress(c: LifecycleContext, split: Split, percent: number, at: number, sound?: number): Partial<LifecycleContext> {
  const state = soundPublished(restProgress(split.state, percent).state, sound ?? 0);
  return { fanout: { ...split, state }, percent: Math.max(c.percent, fanoutPercent(state)), deadlineAt: splitDeadline(c, state, at, at), ...playableAfter(c, playableSeconds(state), at) };
}


/** Every chunk job in flight, cancelled when the item ends (cancel, delete, a failure). */
export const chunkJobsInFlight = (c: LifecycleContext): string[] =>
  splitting(c)?.state.chunks.flatMap((x) => (x.status === "running" && x.jobId ? [x.jobId] : [])) ?? [];

/**
 * The floor below which a progress callback goes backwards: one job's own percent; while split,
 * the whole-file job's (the item's percent is the chunks'); during the stitch, none.
 */
export const progressFloor = (c: LifecycleContext): number => (c.fanout ? (splitting(c)?.state.rest.percent ?? 0) : c.percent);
