import type { ChunkSpanInput, ErrorCode, JobError } from "../contract/index.ts";

/**
 * The item's side of one video split across workers: which chunk jobs run, which wait, which
 * are tried again, when it is all in. Pure: the object stores this record, feeds it what
 * happened, and carries out the effects it answers (dispatch a chunk, cancel a job). Time comes
 * in with each call, never from a clock.
 */
export interface FanoutPolicy {
  /** Chunk jobs in flight at once (FANOUT_MAX_WORKERS). */
  maxWorkers: number;
  /** Tries after the first for one chunk, never the item's manual retry (FANOUT_CHUNK_RETRIES). */
  chunkRetries: number;
  /** A chunk job not heard from for this long is given up and its chunk tried again. */
  stallMs: number;
}

export type ChunkStatus = "waiting" | "running" | "done";

export interface ChunkState {
  index: number;
  /** Seconds of video the chunk holds: its weight in the item's progress. */
  seconds: number;
  status: ChunkStatus;
  /** Failed or stalled tries so far. */
  failures: number;
  /** The job now encoding it (null until RunPod answers the dispatch, and when not running). */
  jobId: string | null;
  /** Tries are numbered so that a superseded try's callbacks are told apart from the current one's. */
  try: number;
  lastHeardAt: number | null;
  percent: number;
  /** Wall seconds of the try that finished it. */
  encodeSeconds: number | null;
}

export interface FanoutState {
  chunks: ChunkState[];
  /** The whole-file job (sound, preview, thumbnail…): done or not, and how far. */
  rest: { done: boolean; percent: number };
  policy: FanoutPolicy;
  /**
   * Chunks whose segments are in every rung's EVENT playlist (the object wrote them): a prefix,
   * never past a chunk not in, never the last chunk (the stitch's VOD playlist ends the item).
   */
  published?: number;
  /** Seconds of sound the whole-file job has published (its EVENT audio playlists). */
  soundSeconds?: number;
}

/** `publish`: write every rung's EVENT playlist over the first `chunks` chunks; what it came to is a PUBLISHED event. */
export type FanoutEffect = { type: "dispatchChunk"; index: number; try: number } | { type: "cancelJob"; jobId: string } | { type: "publish"; chunks: number };

/** How a call ends: the next state and its effects, or the item failing with every job cancelled. */
export type FanoutStep =
  | { state: FanoutState; effects: FanoutEffect[]; outcome: "running" | "complete" | "ignored" }
  | { state: FanoutState; effects: FanoutEffect[]; outcome: "failed"; error: JobError };

/** A plan's chunks, the first dispatched at `at`. `length`: the item's seconds (the last chunk runs to it). */
export function startFanout(chunks: ChunkSpanInput[], fps: number, length: number, policy: FanoutPolicy, at = 0): FanoutStep {
  const state: FanoutState = {
    chunks: chunks.map((c) => ({
      index: c.index,
      seconds: Math.max(0, c.frames !== null ? c.frames / fps : length - c.startSeconds),
      status: "waiting",
      failures: 0,
      jobId: null,
      try: 0,
      lastHeardAt: null,
      percent: 0,
      encodeSeconds: null,
    })),
    rest: { done: false, percent: 0 },
    policy: { ...policy, maxWorkers: Math.max(1, Math.floor(policy.maxWorkers)) },
  };
  return fill(state, [], at);
}

/** Chunks waiting, in time order, into the free slots. */
function fill(state: FanoutState, effects: FanoutEffect[], at: number): FanoutStep {
  const free = state.policy.maxWorkers - state.chunks.filter((c) => c.status === "running").length;
  const next = state.chunks.filter((c) => c.status === "waiting").slice(0, Math.max(0, free));
  const chunks = state.chunks.map((c) => (next.includes(c) ? { ...c, status: "running" as const, jobId: null, try: c.try + 1, lastHeardAt: at, percent: 0 } : c));
  const s = { ...state, chunks };
  return {
    state: s,
    effects: [...effects, ...next.map((c) => ({ type: "dispatchChunk" as const, index: c.index, try: c.try + 1 }))],
    outcome: s.chunks.every((c) => c.status === "done") && s.rest.done ? "complete" : "running",
  };
}

/** Which try a callback is of: a chunk's current one, or one to answer and ignore. */
function current(state: FanoutState, index: number, tryNo: number): ChunkState | null {
  const c = state.chunks[index];
  return c && c.status === "running" && c.try === tryNo ? c : null;
}

const set = (state: FanoutState, index: number, patch: Partial<ChunkState>): FanoutState => ({
  ...state,
  chunks: state.chunks.map((c) => (c.index === index ? { ...c, ...patch } : c)),
});

const ignored = (state: FanoutState): FanoutStep => ({ state, effects: [], outcome: "ignored" });

/** RunPod took the chunk's dispatch: its job id, for status and cancel. */
export function chunkDispatched(state: FanoutState, index: number, tryNo: number, jobId: string, at: number): FanoutStep {
  if (!current(state, index, tryNo)) return { ...ignored(state), effects: [{ type: "cancelJob", jobId }] };
  return { state: set(state, index, { jobId, lastHeardAt: at }), effects: [], outcome: "running" };
}

export function chunkProgress(state: FanoutState, index: number, tryNo: number, percent: number, at: number): FanoutStep {
  const c = current(state, index, tryNo);
  if (!c) return ignored(state);
  return { state: set(state, index, { percent: Math.max(c.percent, Math.min(100, percent)), lastHeardAt: at }), effects: [], outcome: "running" };
}

export function chunkCompleted(state: FanoutState, index: number, tryNo: number, encodeSeconds: number, at: number): FanoutStep {
  if (!current(state, index, tryNo)) return ignored(state);
  const step = fill(set(state, index, { status: "done", percent: 100, lastHeardAt: at, encodeSeconds }), [], at);
  // The playlists grow as soon as the chunks before them are in (dispatched in time order, they mostly are).
  return step.outcome === "running" ? { ...step, effects: [...step.effects, ...publishEffects(step.state)] } : step;
}

/** How many chunks can be published: the contiguous prefix that is in, less the last chunk (its segments end with the stitch). */
export function publishable(state: FanoutState): number {
  const inOrder = state.chunks.findIndex((c) => c.status !== "done");
  return Math.min(inOrder === -1 ? state.chunks.length : inOrder, state.chunks.length - 1);
}

/** A publish owed: more chunks are in than the playlists list (also the alarm's retry of a publish that failed). */
export const publishEffects = (state: FanoutState): FanoutEffect[] => (publishable(state) > (state.published ?? 0) ? [{ type: "publish", chunks: publishable(state) }] : []);

/** The object wrote the playlists over the first `chunks` chunks. */
export function chunksPublished(state: FanoutState, chunks: number): FanoutStep {
  const n = Math.min(chunks, publishable(state));
  if (n <= (state.published ?? 0)) return ignored(state);
  return { state: { ...state, published: n }, effects: [], outcome: "running" };
}

/** The whole-file job's sound is published this far. */
export function soundPublished(state: FanoutState, seconds: number): FanoutState {
  return seconds > (state.soundSeconds ?? 0) ? { ...state, soundSeconds: seconds } : state;
}

/** Seconds a viewer can play: the published chunks' picture, as far as the sound goes with it. */
export function playableSeconds(state: FanoutState): number {
  const video = state.chunks.slice(0, state.published ?? 0).reduce((s, c) => s + c.seconds, 0);
  return Math.min(video, state.soundSeconds ?? 0);
}

export function restCompleted(state: FanoutState, at: number): FanoutStep {
  if (state.rest.done) return ignored(state);
  return fill({ ...state, rest: { done: true, percent: 100 } }, [], at);
}

export function restProgress(state: FanoutState, percent: number): FanoutStep {
  if (state.rest.done) return ignored(state);
  return { state: { ...state, rest: { done: false, percent: Math.max(state.rest.percent, Math.min(100, percent)) } }, effects: [], outcome: "running" };
}

/**
 * A chunk's try failed. Retriable, with tries left: that chunk waits for a slot again, and the
 * item's retry is not spent. Otherwise the item fails with the chunk's error and every other job
 * in flight is cancelled.
 */
export function chunkFailed(state: FanoutState, index: number, tryNo: number, error: JobError, at: number): FanoutStep {
  const c = current(state, index, tryNo);
  if (!c) return ignored(state);
  // Its job is cancelled either way: a failed one has ended (a cancel is a no-op), a silent one may still run.
  const cancel: FanoutEffect[] = c.jobId ? [{ type: "cancelJob", jobId: c.jobId }] : [];
  if (error.retriable && c.failures < state.policy.chunkRetries) {
    return fill(set(state, index, { status: "waiting", failures: c.failures + 1, jobId: null, percent: 0 }), cancel, at);
  }
  const failed = failAll(set(state, index, { status: "waiting", failures: c.failures + 1, jobId: null }), { ...error, message: `Chunk ${index + 1} of ${state.chunks.length}: ${error.message}` });
  return { ...failed, effects: [...cancel, ...failed.effects] };
}

/** The whole-file job failed: nothing to split a retry over, the item fails (its retriable flag kept). */
export function restFailed(state: FanoutState, error: JobError): FanoutStep {
  return failAll(state, error);
}

/** The item ends: every job in flight is cancelled (cancel, delete, or a failure that cannot be tried again). */
export function failAll(state: FanoutState, error: JobError): FanoutStep {
  const effects = state.chunks.filter((c) => c.status === "running" && c.jobId).map((c) => ({ type: "cancelJob" as const, jobId: c.jobId! }));
  const chunks = state.chunks.map((c) => (c.status === "running" ? { ...c, status: "waiting" as const, jobId: null } : c));
  return { state: { ...state, chunks }, effects, outcome: "failed", error };
}

/** The alarm's look: every running chunk silent for the stall window is tried again (or fails the item). */
export function checkStalls(state: FanoutState, at: number): FanoutStep {
  let step: FanoutStep = { state, effects: [], outcome: "running" };
  for (const c of state.chunks) {
    if (c.status !== "running" || c.lastHeardAt === null || at - c.lastHeardAt < state.policy.stallMs) continue;
    const error: JobError = { code: "TIMED_OUT" satisfies ErrorCode, message: `No word from the chunk's job for ${Math.round((at - c.lastHeardAt) / 1000)} s`, retriable: true };
    const next = chunkFailed(step.state, c.index, c.try, error, at);
    step = { ...next, effects: [...step.effects, ...next.effects] };
    if (step.outcome === "failed") return step;
  }
  return step;
}

/** When the alarm must look next: the first running chunk's stall deadline, or null. */
export function nextStallAt(state: FanoutState): number | null {
  const at = state.chunks.filter((c) => c.status === "running" && c.lastHeardAt !== null).map((c) => c.lastHeardAt! + state.policy.stallMs);
  return at.length ? Math.min(...at) : null;
}

/**
 * The item's percent: chunks weighted by their seconds of video, the whole-file job by a tenth of
 * the whole (it is short beside the picture), never 100 before everything is in.
 */
export function fanoutPercent(state: FanoutState): number {
  const total = state.chunks.reduce((s, c) => s + c.seconds, 0);
  const video = total > 0 ? state.chunks.reduce((s, c) => s + c.seconds * (c.status === "done" ? 100 : c.status === "running" ? c.percent : 0), 0) / total : 0;
  const all = video * 0.9 + state.rest.percent * 0.1;
  const done = state.chunks.every((c) => c.status === "done") && state.rest.done;
  return done ? 100 : Math.min(99, Math.floor(all * 10) / 10);
}
