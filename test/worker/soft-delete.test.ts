import { describe, expect, it, vi } from "vitest";
import { adminToken, api, useFakeRunpod, payloadFor, row, rowWhen, sendCallback, storedRecord, transcodingItem, uploadedItem, uuid, softDelete, videoOutput } from "./helpers.ts";

const runpod = useFakeRunpod();


describe("a soft delete holds after the object exists", () => {
  it("every route answers 404 for a deleted item, and its job in flight is cancelled", async () => {
    const { item, job } = await transcodingItem(runpod);
    await rowWhen(item.id, (r) => r.runpodJobId !== null);
    await softDelete(item.id);
    const status = await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token });
    expect(status.status).toBe(404);
    expect(runpod.cancels).toEqual([job.jobId]);
    expect((await api("POST", `/api/media/${item.id}/retry-transcoding`, { token: item.token })).status).toBe(404);
    expect((await api("POST", `/api/media/${item.id}/cancel-transcoding`, { token: await adminToken() })).status).toBe(404);
    expect((await storedRecord(item.id)).value).toBe("deleted");
  });

  it("a trigger on a deleted item is 404 and dispatches nothing", async () => {
    const item = await uploadedItem(uuid());
    await softDelete(item.id);
    expect((await api("POST", `/api/media/${item.id}/transcode`, { token: item.token })).status).toBe(404);
    expect(runpod.runs).toHaveLength(0);
  });

  it("the projection never writes into a deleted row: a callback after the delete leaves the row as it was, and ends the item", async () => {
    const { item, job } = await transcodingItem(runpod);
    const before = await rowWhen(item.id, (r) => r.status === "transcoding" && r.runpodJobId !== null);
    await softDelete(item.id);
    // Callbacks do not read the row first: the write finds the delete.
    const res = await sendCallback(payloadFor(job, { status: "completed", output: videoOutput(job.input) }));
    expect(res.status).toBe(200);
    await vi.waitFor(async () => expect((await storedRecord(item.id)).value).toBe("deleted"), { timeout: 5000, interval: 100 });
    const after = await row(item.id);
    expect(after).toMatchObject({ status: "transcoding", projectionVersion: before!.projectionVersion, hlsMasterPlaylistKey: null });
    expect(after!.deletedAt).not.toBeNull();
    expect((await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token })).status).toBe(404);
  });
});
