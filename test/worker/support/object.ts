import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import type { OutboxState } from "../../../src/objects/outbox.ts";
import { PROJECTION_KEY, type ProjectionDue } from "../../../src/objects/projection-outbox.ts";
import type { LifecycleRecord } from "../../../src/objects/record.ts";
import { mediaObject } from "../../../src/objects/stubs.ts";
import { eventually } from "./postgres.ts";

/** Inside an item's Durable Object: its stored record, its clocks, what it owes. */
export const stub = (id: string) => mediaObject(env, id);

export async function storedRecord(id: string): Promise<LifecycleRecord> {
  return runInDurableObject(stub(id), async (_o, state) => (await state.storage.get<LifecycleRecord>("lifecycle"))!);
}

/**
 * Moves the item's clocks back by `byMs` (two days unless told: past every stall window, queue
 * and hard ceiling) and fires the alarm, as time passing would. A projection write still in
 * flight may re-arm the alarm from the new deadline first, in which case workerd fires it by
 * itself; either way the reconciliation has run when this returns.
 */
export async function passDeadline(id: string, opts: { byMs?: number; clocks?: ("startedAt" | "lastActivityAt" | "hardDeadlineAt")[] } = {}): Promise<void> {
  const byMs = opts.byMs ?? 2 * 86_400_000;
  await runInDurableObject(stub(id), async (_o, state) => {
    const rec = (await state.storage.get<LifecycleRecord>("lifecycle"))!;
    for (const clock of opts.clocks ?? ["startedAt", "lastActivityAt", "hardDeadlineAt"]) {
      const t = rec.context[clock];
      if (t !== null) rec.context[clock] = t - byMs;
    }
    rec.context.deadlineAt = Date.now() - 1;
    await state.storage.put("lifecycle", rec);
  });
  // The alarm armed at trigger is still set (for the old deadline): run it now.
  if (await runDurableObjectAlarm(stub(id))) return;
  await eventually(() => storedRecord(id), (rec) => rec.value !== "transcoding");
}

/** The projection write the object still owes Postgres (its outbox's head), or undefined when none is due. */
export async function pendingProjection(id: string): Promise<{ version: number; failures: number } | undefined> {
  return runInDurableObject(stub(id), async (_o, state) => {
    const head = (await state.storage.get<OutboxState<ProjectionDue>>(PROJECTION_KEY))?.entries[0];
    return head ? { version: head.payload.version, failures: head.failures } : undefined;
  });
}
