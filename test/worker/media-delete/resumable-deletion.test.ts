import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { itemPrefixes } from "../../../src/contract/index.ts";
import { emptyOutbox, enqueue, type OutboxState } from "../../../src/objects/outbox.ts";
import { PURGE_KEY, type PurgeTask } from "../../../src/objects/purge-outbox.ts";
import type { LifecycleRecord } from "../../../src/objects/record.ts";
import { useFakeRunpod, objectExists, readyItem, stub, writeOutputs } from "../helpers.ts";

const runpod = useFakeRunpod();

describe("a deletion that was interrupted", () => {
  it("is finished by the alarm from what the object persisted (a tree of 60 files, half a bucket's work left)", async () => {
    const { item, job } = await readyItem(runpod);
    const files = await writeOutputs(job.input, 50);
    // The state a crash leaves: deleted, the row already marked, the folders still owed.
    const { media, archive } = itemPrefixes(item.creatorId, item.id);
    await runInDurableObject(stub(item.id), async (_o, state) => {
      const rec = (await state.storage.get<LifecycleRecord>("lifecycle"))!;
      await state.storage.put("lifecycle", { ...rec, value: "deleted", version: rec.version + 1 });
      const owed: OutboxState<PurgeTask> = enqueue(
        emptyOutbox<PurgeTask>(),
        [...media.map((prefix, i) => ({ id: `purge-m${i}`, lane: "media", payload: { kind: "prefix" as const, bucket: "media" as const, prefix }, nextAt: Date.now() })),
          ...archive.map((prefix, i) => ({ id: `purge-a${i}`, lane: "archive", payload: { kind: "prefix" as const, bucket: "archive" as const, prefix }, nextAt: Date.now() }))],
        Date.now(),
      );
      await state.storage.put(PURGE_KEY, owed);
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await objectExists("media", files.media[5]!)).toBe(true);
    expect(await runDurableObjectAlarm(stub(item.id))).toBe(true);
    const left = await Promise.all([job.input.inputKey, ...files.media].map((k) => objectExists("media", k)));
    expect(left.filter(Boolean)).toHaveLength(0);
    expect(await objectExists("archive", files.archive[0]!)).toBe(false);
    const owedAfter = await runInDurableObject(stub(item.id), (_o, state) => state.storage.get(PURGE_KEY));
    expect(owedAfter).toBeUndefined();
  });
});
