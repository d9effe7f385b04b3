import { timed } from "../log.ts";
import { enqueue, type OutboxState, type OutboxUser, type RetryPolicy, type Sent } from "./outbox.ts";
import { projectionRow, type ProjectionRow } from "./projection-row.ts";
import { idsOf, type LifecycleRecord } from "./record.ts";

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
 * again. Progress joins a write already due, raising the version it must reach (a write of the
 * older version that is in flight then does not settle it: see Outbox); anything else replaces
 * what is queued with a write of its own version.
 */
export function projectionAfter(state: OutboxState<ProjectionDue> | undefined, next: LifecycleRecord, progress: boolean, at: number): OutboxState<ProjectionDue> | null {
  if (next.value === "deleted") return null;
  if (progress && state?.entries.length) {
    return { ...state, entries: state.entries.map((e, i) => (i === 0 ? { ...e, payload: { version: next.version } } : e)) };
  }
  return enqueue(state, [{ id: `v${next.version}`, lane: LANE, payload: { version: next.version }, nextAt: at + (progress ? PROGRESS_PROJECTION_MS : PROJECTION_GRACE_MS) }], at, () => true);
}

/** What the projection needs of Postgres (clients/projector.ts): a versioned write that says when the row was deleted. */
export interface ProjectionWriter {
  write(mediaId: string, version: number, row: ProjectionRow): Promise<"written" | "stale" | "deleted">;
}

/**
 * The projection as an outbox user. Its one send writes the newest state, whatever version
 * queued it; a row found soft-deleted under us answers DELETED, which ends the item (and cancels
 * a job in flight) once the object applies it.
 */
export function projectionOutbox(d: { projector: ProjectionWriter; record(): Promise<LifecycleRecord | undefined> }): OutboxUser<ProjectionDue> {
  return {
    name: "projection",
    key: PROJECTION_KEY,
    policy: PROJECTION_RETRY,
    logSize: 0,
    triesKept: 1,
    after: (state, t) => projectionAfter(state, t.next, t.event.type === "PROGRESS", t.at),
    // One write per event, carrying the newest state (a dispatch's DISPATCHED included); progress
    // is left to the alarm, which writes it at most once a second.
    sendWhen: (t) => (t.event.type === "PROGRESS" ? "alarm" : "after-event"),
    send: async (): Promise<Sent> => {
      const rec = await d.record();
      if (!rec || rec.value === "deleted") return { ok: true };
      const state = rec.value;
      const write = await timed(
        "postgres.project",
        { ...idsOf(rec), version: rec.version, status: state },
        () => d.projector.write(rec.context.mediaId, rec.version, projectionRow(state, rec.context)),
        (r) => ({ write: r }),
      );
      return write === "deleted" ? { ok: true, followUp: { type: "DELETED", at: Date.now() } } : { ok: true };
    },
  };
}
