import { transition } from "xstate";
import { lifecycleMachine } from "./lifecycle.ts";
import { outcomeOf, type Outcome } from "./outcome.ts";
import type { LifecycleContext, LifecycleEvent, LifecycleState } from "./types.ts";

/** The pure machine's answer to one event in one state: the next state and what the transition means. Nothing is carried out. */
export function decide(at: { value: LifecycleState; context: LifecycleContext }, event: LifecycleEvent): { next: { value: LifecycleState; context: LifecycleContext }; outcome: Outcome; changed: boolean } {
  const snapshot = lifecycleMachine.resolveState({ value: at.value, context: at.context });
  const [next, actions] = transition(lifecycleMachine, snapshot, event);
  const value = stateOf(next.value);
  return { next: { value, context: next.context }, outcome: outcomeOf(actions), changed: value !== at.value || next.context !== snapshot.context };
}

const STATES: readonly LifecycleState[] = ["uploading", "uploaded", "transcoding", "ready", "failed", "deleted"];
/** The machine is flat and rests only in these states (`returning` is passed through). */
function stateOf(value: unknown): LifecycleState {
  const state = STATES.find((s) => s === value);
  if (!state) throw new Error(`the lifecycle rested in an unknown state: ${JSON.stringify(value)}`);
  return state;
}
