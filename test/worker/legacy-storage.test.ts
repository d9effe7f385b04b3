import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PROJECTION_KEY } from "../../src/objects/projection-outbox.ts";
import type { LifecycleRecord } from "../../src/objects/record.ts";
import { api, eventually, useFakeRunpod, payloadFor, pendingProjection, row, sendCallback, storedRecord, stub, transcodingItem } from "./helpers.ts";

const runpod = useFakeRunpod();

const fail = (job: { jobId: string; input: any }) => sendCallback(payloadFor(job, { status: "failed", error: { code: "ENCODE_FAILED", message: "x", retriable: true } }));

describe("an object stored by the release before the outboxes", () => {
  it("reads as today's: `attempts` is retriesUsed, the pending projection is the outbox's entry and still reaches Postgres", async () => {
    const { item, job } = await transcodingItem(runpod);
    await fail(job);
    expect((await api("POST", `/api/media/${item.id}/retry-transcoding`, { token: item.token })).status).toBe(202);
    await fail(runpod.lastJob());
    await eventually(() => pendingProjection(item.id), (p) => p === undefined);
    // As that release left it: its record's names, and one projection write owed.
    await runInDurableObject(stub(item.id), async (_o, state) => {
      const rec = (await state.storage.get<LifecycleRecord>("lifecycle"))!;
      const { retriesUsed, ...context } = rec.context;
      const next = { ...rec, version: rec.version + 1, context: { ...context, attempts: retriesUsed } };
      await state.storage.put({ lifecycle: next, projection: { version: next.version, failures: 3, retryAt: Date.now() - 1 } });
      await state.storage.delete(PROJECTION_KEY);
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(stub(item.id))).toBe(true);
    const rec = await storedRecord(item.id);
    expect(rec.context.retriesUsed).toBe(1);
    expect("attempts" in rec.context).toBe(false);
    expect(await runInDurableObject(stub(item.id), (_o, state) => state.storage.get("projection"))).toBeUndefined();
    // The owed write went out with the upgrade's alarm.
    expect((await row(item.id))!.projectionVersion).toBe(rec.version);
    const status = await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token });
    expect(status.body).toMatchObject({ status: "failed", retriesUsed: 1, retriesLeft: 0 });
    expect((await api("POST", `/api/media/${item.id}/retry-transcoding`, { token: item.token })).body.error.code).toBe("RETRY_EXHAUSTED");
  });
});
