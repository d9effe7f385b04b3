import { enqueue, type OutboxState } from "./outbox.ts";
import { PROJECTION_KEY, type ProjectionDue } from "./projection-outbox.ts";
import type { LifecycleRecord } from "./record.ts";

/**
 * What objects stored before the outboxes (2026-12-03), and how it reads today: the context's
 * `attempts` is `retriesUsed`; the single pending projection (`projection`: version, failures,
 * retryAt) is the projection outbox's one entry.
 */
export const LEGACY_KEYS = ["projection"];

interface PendingProjectionV1 {
  version: number;
  failures: number;
  retryAt: number;
}

export function upgradeStored(found: Record<string, unknown>): { put: Record<string, unknown>; drop: string[] } | null {
  const put: Record<string, unknown> = {};
  const drop: string[] = [];
  const rec = found.lifecycle as (LifecycleRecord & { context: { attempts?: number } }) | undefined;
  if (rec && rec.context.retriesUsed === undefined && typeof rec.context.attempts === "number") {
    const { attempts, ...context } = rec.context;
    put.lifecycle = { ...rec, context: { ...context, retriesUsed: attempts } };
  }
  const pending = found.projection as PendingProjectionV1 | undefined;
  if (pending) {
    drop.push("projection");
    if (!found[PROJECTION_KEY]) {
      const state: OutboxState<ProjectionDue> = enqueue(undefined, [{ id: `v${pending.version}`, lane: "postgres", payload: { version: pending.version }, nextAt: pending.retryAt }], Date.now());
      state.entries[0]!.failures = pending.failures;
      put[PROJECTION_KEY] = state;
    }
  }
  return Object.keys(put).length || drop.length ? { put, drop } : null;
}
