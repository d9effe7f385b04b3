import type { Refusal } from "./types.ts";

/** The machine's actions as `transition()` returns them, before anything is carried out. */
export interface MachineAction {
  type: string;
  params?: unknown;
}

/** The effects the Durable Object carries out after persisting; every other action is pure. */
export type Effect =
  | { type: "dispatchJob"; params: { attemptId: string } }
  | { type: "cancelJob"; params: { attemptId: string; jobId: string | null } }
  | { type: "releaseJobSlot"; params: { attemptId: string; refund: boolean } };
const EFFECT_TYPES = new Set<string>(["dispatchJob", "cancelJob", "releaseJobSlot"]);

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
  const refuse = actions.find((a) => a.type === "refuse");
  if (refuse) return { kind: "refused", refusal: refuse.params as Refusal };
  const effects = actions.filter((a): a is Effect => EFFECT_TYPES.has(a.type));
  const ignore = actions.find((a) => a.type === "ignore");
  if (ignore) return { kind: "ignored", reason: (ignore.params as { reason: string }).reason, effects };
  return { kind: "applied", effects };
}
