import { describe, expect, it } from "vitest";
import { api, pendingProjection, storedRecord, stub, useFakeRunpod, payloadFor, row, sendCallback, transcodingItem, videoOutput } from "../helpers.ts";
import { runDurableObjectAlarm } from "cloudflare:test";

const runpod = useFakeRunpod();

describe("DELETE of an item in flight", () => {
  it("cancels its RunPod job; the job's completion afterwards changes nothing", async () => {
    const { item, job } = await transcodingItem(runpod);
    expect((await api("DELETE", `/api/media/${item.id}`, { token: item.token })).status).toBe(204);
    const deletedVersion = (await storedRecord(item.id)).version;
    expect(runpod.cancels).toContain(job.jobId);
    const deleted = await row(item.id);
    const late = await sendCallback(payloadFor(job, { status: "completed", output: videoOutput(job.input) }));
    expect(late.status).toBe(200);
    // The callback was answered after the object judged it: it made no transition and owes nothing,
    // and what the deletion still owes is sent (the alarm waits for a flush in flight).
    expect(await storedRecord(item.id)).toMatchObject({ value: "deleted", version: deletedVersion });
    expect(await pendingProjection(item.id)).toBeUndefined();
    await runDurableObjectAlarm(stub(item.id));
    expect(await row(item.id)).toEqual(deleted);
    expect(deleted!.status).toBe("transcoding");
    expect(deleted!.deletedAt).not.toBeNull();
  });
});
