import { transition } from "xstate";
import { lifecycleMachine, outcomeOf as meaningOf, type LifecycleEvent } from "../../src/machine/index.ts";
import type { snapshotIn } from "./fixtures.ts";

export type Outcome =
  | { kind: "applied"; to: string; effects: string[] }
  | { kind: "ignored"; reason: string; effects: string[] }
  | { kind: "refused"; code: string; message: string };

/** One pure transition, classified by the Durable Object's own `outcomeOf`, in the tests' words. */
export function outcomeOf(snapshot: ReturnType<typeof snapshotIn>, event: LifecycleEvent) {
  const [next, actions] = transition(lifecycleMachine, snapshot, event);
  const meaning = meaningOf(actions);
  let outcome: Outcome;
  if (meaning.kind === "refused") outcome = { kind: "refused", code: meaning.refusal.code, message: meaning.refusal.message };
  else if (meaning.kind === "ignored") outcome = { kind: "ignored", reason: meaning.reason, effects: meaning.effects.map((e) => e.type) };
  else outcome = { kind: "applied", to: String(next.value), effects: meaning.effects.map((e) => e.type) };
  return { outcome, next, actions };
}
