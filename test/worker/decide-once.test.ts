import { describe, expect, it } from "vitest";
import { api, row, tokenFor, uploadedItem, useFakeRunpod, uuid } from "./helpers.ts";

const runpod = useFakeRunpod();

/**
 * The pure machine judges a command before its facts are gathered: what it would refuse anyway
 * asks nothing of storage or of the creator's limits, and takes nothing that must be given back.
 */
describe("decide once", () => {
  it("a stranger's trigger is refused (404) before the original is looked for in storage", async () => {
    const item = await uploadedItem(uuid());
    const key = encodeURIComponent((await row(item.id))!.r2Key.split("/").at(-1)!);
    const heads = (from: number) => runpod.outbound.slice(from).filter((r) => r.method === "HEAD" && r.url.includes(key));
    const before = runpod.outbound.length;
    const res = await api("POST", `/api/media/${item.id}/transcode`, { token: await tokenFor(uuid()) });
    expect(res.status).toBe(404);
    expect(heads(before)).toEqual([]);
    // The owner's trigger asks storage once, and starts.
    const mine = await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
    expect(mine.status).toBe(202);
    expect(heads(before)).toHaveLength(1);
  });

  it("a retry of an item that has not failed asks storage nothing, and a refused trigger spends none of the creator's jobs", async () => {
    const creatorId = uuid();
    const item = await uploadedItem(creatorId);
    const key = encodeURIComponent((await row(item.id))!.r2Key.split("/").at(-1)!);
    const before = runpod.outbound.length;
    const retry = await api("POST", `/api/media/${item.id}/retry-transcoding`, { token: item.token });
    expect(retry.status).toBe(422);
    expect(runpod.outbound.slice(before).filter((r) => r.method === "HEAD" && r.url.includes(key))).toEqual([]);
    // LIMIT_JOBS_PER_DAY is 4 in the tests: four refused triggers leave every one of them.
    const early = await uploadedItem(creatorId, "video", { skipUpload: true });
    for (let i = 0; i < 4; i++) expect((await api("POST", `/api/media/${early.id}/transcode`, { token: early.token })).status).toBe(409);
    const others = await Promise.all([1, 2, 3, 4].map(() => uploadedItem(creatorId)));
    const started = [];
    for (const [i, o] of others.entries()) {
      const res = await api("POST", `/api/media/${o.id}/transcode`, { token: o.token });
      started.push(res.status);
      // Two in flight at most (LIMIT_JOBS_IN_FLIGHT): finish each so the next may start.
      if (i < 3) await api("POST", `/api/media/${o.id}/cancel-transcoding`, { token: await tokenFor(uuid(), "admin") });
    }
    expect(started).toEqual([202, 202, 202, 202]);
  });
});
