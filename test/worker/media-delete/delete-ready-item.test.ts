import { describe, expect, it } from "vitest";
import { api, pendingProjection, storedRecord, stub, useFakeRunpod, hooksWhen, objectExists, payloadFor, readyItem, row, rowWhen, sendCallback, tokenFor, uuid, writeOutputs } from "../helpers.ts";
import { runDurableObjectAlarm } from "cloudflare:test";

const runpod = useFakeRunpod();

describe("DELETE /api/media/:id", () => {
  it("removes the original and every output from both buckets, sets deletedAt and the mezzanine deleted, and tells the platform", async () => {
    const { item, job } = await readyItem(runpod);
    const files = await writeOutputs(job.input);
    const original = job.input.inputKey;
    expect(await objectExists("media", original)).toBe(true);
    await rowWhen(item.id, (r) => r.status === "ready" && r.mezzanineStatus === "ready");

    const res = await api("DELETE", `/api/media/${item.id}`, { token: item.token });
    expect(res.status).toBe(204);
    // The row says so by the time the answer comes.
    expect(await row(item.id)).toMatchObject({ mezzanineStatus: "deleted" });
    expect((await row(item.id))!.deletedAt).not.toBeNull();

    await hooksWhen(item.id, "a", ["media.deleted"]);
    await expect.poll(async () => (await Promise.all([original, ...files.media].map((k) => objectExists("media", k)))).some(Boolean), { timeout: 10_000 }).toBe(false);
    await expect.poll(() => objectExists("archive", files.archive[0]!), { timeout: 10_000 }).toBe(false);
  });

  it("afterwards every route answers 404; a late callback is acknowledged and the row is never written again", async () => {
    const { item, job } = await readyItem(runpod);
    expect((await api("DELETE", `/api/media/${item.id}`, { token: item.token })).status).toBe(204);
    const deletedVersion = (await storedRecord(item.id)).version;
    const before = await row(item.id);
    for (const [method, path] of [
      ["GET", `/api/media/${item.id}/transcoding-status`],
      ["POST", `/api/media/${item.id}/transcode`],
      ["POST", `/api/media/${item.id}/retry-transcoding`],
      ["POST", `/api/media/${item.id}/upload-complete`],
      ["DELETE", `/api/media/${item.id}`],
    ] as const) {
      const answer = await api(method, path, { token: item.token });
      expect([method, path, answer.status, answer.body.error.code]).toEqual([method, path, 404, "NOT_FOUND"]);
    }
    expect((await sendCallback(payloadFor(job, { status: "progress", phase: "encoding", percent: 99 }))).status).toBe(200);
    // The callback was answered after the object judged it: it made no transition and owes nothing,
    // and what the deletion still owes is sent (the alarm waits for a flush in flight).
    expect(await storedRecord(item.id)).toMatchObject({ value: "deleted", version: deletedVersion });
    expect(await pendingProjection(item.id)).toBeUndefined();
    await runDurableObjectAlarm(stub(item.id));
    expect(await row(item.id)).toEqual(before);
  });

  it("a stranger cannot delete (404, as for an unknown item); an administrator can", async () => {
    const { item } = await readyItem(runpod);
    expect((await api("DELETE", `/api/media/${item.id}`, { token: await tokenFor(uuid()) })).status).toBe(404);
    expect((await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token })).status).toBe(200);
    expect((await api("DELETE", `/api/media/${item.id}`, { token: await tokenFor(uuid(), "admin") })).status).toBe(204);
    expect((await api("DELETE", `/api/media/${uuid()}`, { token: item.token })).status).toBe(404);
  });
});
