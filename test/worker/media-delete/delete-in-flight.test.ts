import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, fakeRunpod, payloadFor, row, sendCallback, transcodingItem, videoOutput, type FakeRunpod } from "../helpers.ts";

let runpod: FakeRunpod;
beforeEach(() => {
  runpod = fakeRunpod();
});
afterEach(() => runpod.restore());

describe("DELETE of an item in flight", () => {
  it("cancels its RunPod job; the job's completion afterwards changes nothing", async () => {
    const { item, job } = await transcodingItem(runpod);
    expect((await api("DELETE", `/api/media/${item.id}`, { token: item.token })).status).toBe(204);
    expect(runpod.cancels).toContain(job.jobId);
    const deleted = await row(item.id);
    const late = await sendCallback(payloadFor(job, { status: "completed", output: videoOutput(job.input) }));
    expect(late.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(await row(item.id)).toEqual(deleted);
    expect(deleted!.status).toBe("transcoding");
    expect(deleted!.deletedAt).not.toBeNull();
  });
});
