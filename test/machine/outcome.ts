import { transition } from "xstate";
import { lifecycleMachine, type LifecycleEvent } from "../../src/machine/index.ts";
import type { snapshotIn } from "./fixtures.ts";

export type Outcome =
  | { kind: "applied"; to: string; effects: string[] }
  | { kind: "ignored"; reason: string }
  | { kind: "refused"; code: string; message: string };

/** Classifies one pure transition the way the Durable Object does. */
export function outcomeOf(snapshot: ReturnType<typeof snapshotIn>, event: LifecycleEvent) {
  const [next, actions] = transition(lifecycleMachine, snapshot, event);
  const refusal = actions.find((a) => a.type === "refuse");
  const ignored = actions.find((a) => a.type === "ignore");
  let outcome: Outcome;
  if (refusal) {
    const p = refusal.params as { code: string; message: string };
    outcome = { kind: "refused", code: p.code, message: p.message };
  } else if (ignored) {
    outcome = { kind: "ignored", reason: (ignored.params as { reason: string }).reason };
  } else {
    outcome = {
      kind: "applied",
      to: String(next.value),
      effects: actions.map((a) => a.type).filter((t) => t === "dispatchJob" || t === "cancelJob"),
    };
  }
  return { outcome, next, actions };
}
