import type { FanoutEffect } from "./fanout.ts";
import type { SideJobEffect } from "./side-job.ts";
import type { Refusal } from "./types.ts";

/**
 * The machine's marker actions, written once: `setup` registers these very functions, and
 * `outcomeOf` reads the same names back. Markers do nothing when run; the Durable Object carries
 * out the effects after persisting the new snapshot, and answers with the outcome markers.
 */
export const effectMarkers = {
  dispatchJob: (_: unknown, _params: { attemptId: string }) => {},
  cancelJob: (_: unknown, _params: { attemptId: string; jobId: string | null }) => {},
  /** The attempt no longer holds one of its creator's jobs in flight; `refund` when it never reached RunPod. */
  releaseJobSlot: (_: unknown, _params: { attemptId: string; refund: boolean }) => {},
  /** A split video's chunk jobs to dispatch or cancel (./split.ts), in order. */
  fanoutEffects: (_: unknown, _params: { attemptId: string; effects: FanoutEffect[] }) => {},
  /** Every chunk and the whole-file work are in: the job that writes the playlists and assembles the parts. */
  dispatchStitch: (_: unknown, _params: { attemptId: string }) => {},
  /** A ready item's touch-up job to dispatch, or one to cancel (./touch-up.ts). */
  touchUpEffects: (_: unknown, _params: { attemptId: string; effects: SideJobEffect[] }) => {},
  /** An ingest job to dispatch, or one to cancel (./ingest.ts). */
  ingestEffects: (_: unknown, _params: { attemptId: string; effects: SideJobEffect[] }) => {},
};
export const outcomeMarkers = {
  refuse: (_: unknown, _params: Refusal) => {},
  ignore: (_: unknown, _params: { reason: string }) => {},
};

type Markers = typeof effectMarkers;
/** The effects the Durable Object carries out after persisting; every other action is pure. */
export type Effect = { [K in keyof Markers]: { type: K; params: Parameters<Markers[K]>[1] } }[keyof Markers];

/** The machine's actions as `transition()` returns them, before anything is carried out. */
export interface MachineAction {
  type: string;
  params?: unknown;
}

/** An effect marker with something to do (a split's list of chunk effects may be empty: then it is none). */
const isEffect = (a: MachineAction): a is Effect =>
  Object.hasOwn(effectMarkers, a.type) && !((a.type === "fanoutEffects" || a.type === "touchUpEffects" || a.type === "ingestEffects") && (a.params as { effects: unknown[] }).effects.length === 0);
const isRefusal = (a: MachineAction): a is { type: "refuse"; params: Refusal } => a.type === "refuse";
const isIgnore = (a: MachineAction): a is { type: "ignore"; params: { reason: string } } => a.type === "ignore";

/**
 * What one transition means, decided from its actions alone: refused (nothing changes, the
 * caller is told why), ignored (acknowledged; it may still carry effects, e.g. cancelling an
 * orphan job), or applied. The effects come in the order the machine listed them.
 */
export type Outcome =
  | { kind: "refused"; refusal: Refusal }
  | { kind: "ignored"; reason: string; effects: Effect[] }
  | { kind: "applied"; effects: Effect[] };

export function outcomeOf(actions: readonly MachineAction[]): Outcome {
  const refuse = actions.find(isRefusal);
  if (refuse) return { kind: "refused", refusal: refuse.params };
  const effects = actions.filter(isEffect);
  const ignore = actions.find(isIgnore);
  if (ignore) return { kind: "ignored", reason: ignore.params.reason, effects };
  return { kind: "applied", effects };
}
