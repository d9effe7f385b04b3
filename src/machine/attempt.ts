import type { JobError, JobOutput } from "../contract/index.ts";
import type { KeptError, LifecycleContext, LifecycleEvent } from "./types.ts";
import { splitProgress, splitting } from "./split.ts";

/** How many applied callback ids an item remembers to recognise duplicates. */
const SEEN_EVENT_LIMIT = 64;
/** How many cancelled orphan jobs an item remembers, so that each is cancelled once. */
export const CANCELLED_JOB_LIMIT = 16;

export function remember(seen: string[], id: string, limit = SEEN_EVENT_LIMIT): string[] {
  return [...seen, id].slice(-limit);
}

/** The job's last sign of life: its last progress, RunPod seen holding it queued, or else its dispatch. */
export const lastSign = (c: LifecycleContext) => c.lastActivityAt ?? c.startedAt ?? 0;
export const secs = (ms: number) => `${Math.round(ms / 1000)} s`;

/** A new attempt, from TRIGGER or RETRY: a retry spends the item's one retry. */
export interface Start {
  attemptId: string;
  at: number;
  deadlineAt: number;
  retry: boolean;
}
export function started(context: LifecycleContext, s: Start): Partial<LifecycleContext> {
  return {
    attemptId: s.attemptId,
    jobId: null,
    dispatchedFrom: s.retry ? "failed" : "uploaded",
    retriesUsed: s.retry ? context.retriesUsed + 1 : context.retriesUsed,
    phase: null,
    percent: 0,
    error: null,
    output: null,
    startedAt: s.at,
    finishedAt: null,
    deadlineAt: s.deadlineAt,
    lastActivityAt: null,
    hardDeadlineAt: null,
    dispatchUnconfirmed: false,
    fanout: null,
    playableAt: null,
    playableSeconds: 0,
  };
}

/**
 * The attempt goes back to where it came from (uploaded or failed) having spent nothing: its
 * dispatch never reached RunPod, or RunPod never confirmed it and nothing was heard since.
 */
export const refunded = (context: LifecycleContext, error: KeptError): Partial<LifecycleContext> => ({
  retriesUsed: context.dispatchedFrom === "failed" ? context.retriesUsed - 1 : context.retriesUsed,
  error,
  deadlineAt: null,
  startedAt: null,
  dispatchUnconfirmed: false,
});

export function progressed(context: LifecycleContext, e: Extract<LifecycleEvent, { type: "PROGRESS" }>): Partial<LifecycleContext> {
  const hardDeadlineAt = context.hardDeadlineAt ?? e.hardDeadlineAt;
  if (context.fanout) {
    // A split video: the whole-file job's progress is one part of the item's, the stitch's a sign of life only.
    const split = splitting(context);
    const base = { phase: e.phase, seenEventIds: remember(context.seenEventIds, e.eventId), lastActivityAt: e.at, jobId: context.jobId ?? e.jobId };
    return split ? { ...base, ...splitProgress({ ...context, lastActivityAt: e.at }, split, e.percent, e.at, e.playableSeconds) } : { ...base, phase: "packaging", dispatchUnconfirmed: false };
  }
  return {
    phase: e.phase,
    percent: e.percent,
    seenEventIds: remember(context.seenEventIds, e.eventId),
    // The first callback of a job whose /run answer was lost tells its id.
    jobId: context.jobId ?? e.jobId,
    dispatchUnconfirmed: context.jobId === null && e.jobId === null ? context.dispatchUnconfirmed : false,
    lastActivityAt: e.at,
    hardDeadlineAt,
    ...playableAfter(context, e.playableSeconds ?? 0, e.at),
    // Progress does not move the alarm (one storage write fewer per callback); the check at the
    // deadline finds the job alive and looks again later. Only a nearer ceiling brings it forward.
    deadlineAt: hardDeadlineAt !== null && context.deadlineAt !== null ? Math.min(context.deadlineAt, hardDeadlineAt) : context.deadlineAt,
  };
}

/**
 * The attempt's playable seconds only grow; the first time there are any is when it became
 * playable. (A split video's seconds are the least of its published chunks and its sound.)
 */
export function playableAfter(c: LifecycleContext, seconds: number, at: number): Pick<LifecycleContext, "playableAt" | "playableSeconds"> {
  const next = Math.max(c.playableSeconds ?? 0, seconds);
  return { playableSeconds: next, playableAt: c.playableAt ?? (next > 0 ? at : null) };
}

/** How an attempt ends: with an output or an error, at a time, maybe naming its job and the callback that said so. */
export interface Finish {
  at: number;
  output?: JobOutput;
  error?: JobError;
  jobId?: string | null;
  seen?: string;
}
export function finished(context: LifecycleContext, r: Finish): Partial<LifecycleContext> {
  return {
    // A ready item is playable whole (from the moment it is ready, if not before).
    ...(r.output ? { playableAt: context.playableAt ?? r.at, playableSeconds: r.output.durationSeconds } : {}),
    output: r.output ?? null,
    error: r.error ?? null,
    jobId: r.jobId ?? context.jobId,
    percent: r.output ? 100 : context.percent,
    finishedAt: r.at,
    deadlineAt: null,
    seenEventIds: r.seen ? remember(context.seenEventIds, r.seen) : context.seenEventIds,
  };
}
