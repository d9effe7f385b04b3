import type { LifecycleEvent } from "../machine/index.ts";
import { enqueue, type OutboxState, type RetryPolicy } from "./outbox.ts";
import type { LifecycleRecord } from "./record.ts";

/** The projection's outbox: Postgres owes the newest state of the item, and only the newest matters. */
export interface ProjectionDue {
  version: number;
}
export const PROJECTION_KEY = "outbox:projection";
const LANE = "postgres";

/** A fresh projection is written at once; the alarm only steps in if that write never finishes. */
const PROJECTION_GRACE_MS = 5_000;
/**
 * Progress is projected at most this often (by the alarm), so a burst of progress callbacks
 * costs one Postgres write, not one each. Every other transition is written at once.
 */
const PROGRESS_PROJECTION_MS = 1_000;

/** Postgres is retried for as long as it takes: the row must catch up in the end. */
export const PROJECTION_RETRY: RetryPolicy = { baseMs: 1_000, maxMs: 60_000, giveUpAfterMs: null };

/**
 * The outbox after a transition to `next` (null: the key goes). A deleted item is never projected
 * again. Progress joins a write already due (it will carry the newest state too); anything else
 * replaces what is queued with a write of its own version.
 */
export function projectionAfter(state: OutboxState<ProjectionDue> | undefined, next: LifecycleRecord, event: LifecycleEvent, at: number): OutboxState<ProjectionDue> | null {
  if (next.value === "deleted") return null;
  const progress = event.type === "PROGRESS";
  if (progress && state?.entries.length) return state;
  return enqueue(state, [{ id: `v${next.version}`, lane: LANE, payload: { version: next.version }, nextAt: at + (progress ? PROGRESS_PROJECTION_MS : PROJECTION_GRACE_MS) }], at, () => true);
}
