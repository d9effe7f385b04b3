import { env, runDurableObjectAlarm } from "cloudflare:test";
import { configFrom } from "../../src/config.ts";
import { withDb } from "../../src/db/client.ts";
import { mediaItems } from "../../schema/index.ts";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, useFakeRunpod, payloadFor, pendingProjection, row, rowWhen, sendCallback, setDatabase, storedRecord, stub, tokenFor, uploadedItem, uuid, videoOutput } from "./helpers.ts";

const runpod = useFakeRunpod();
afterEach(() => setDatabase(true));

const readPending = pendingProjection;

describe("a Postgres that stops answering (connections open, queries never answered)", () => {
  it("an item's first load is bounded: 503 within the query timeout, and the item works once Postgres answers", async () => {
    // A row the upload service wrote itself: its object has never loaded it.
    const creatorId = uuid();
    const token = await tokenFor(creatorId);
    const reg = { body: { id: uuid() } };
    await withDb(configFrom(env), (db) => db.insert(mediaItems).values({ id: reg.body.id, creatorId, mediaType: "video", status: "uploading", r2Key: `${creatorId}/originals/${reg.body.id}/a.mp4`, originalFilename: "a.mp4", originalSize: 10, contentType: "video/mp4" }));
    await setDatabase("hang");
    const started = Date.now();
    const res = await api("GET", `/api/media/${reg.body.id}/transcoding-status`, { token });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("UNAVAILABLE");
    expect(Date.now() - started).toBeLessThan(5_000); // DB_QUERY_TIMEOUT_MS = 1500 in the tests
    await setDatabase(true);
    expect((await api("GET", `/api/media/${reg.body.id}/transcoding-status`, { token })).body).toMatchObject({ status: "uploading" });
  });

  it("a registration during the hang: 503, nothing created", async () => {
    await setDatabase("hang");
    const res = await api("POST", "/api/media", { token: await tokenFor(uuid()), body: { mediaType: "video", filename: "a.mp4", size: 10, contentType: "video/mp4" } });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
  });

  it("a projection write that hangs stays pending and lands when Postgres answers again; the callback is acknowledged at once", async () => {
    const item = await uploadedItem(uuid());
    await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
    const job = runpod.lastJob();
    await rowWhen(item.id, (r) => r.status === "transcoding" && r.runpodJobId !== null);

    await setDatabase("hang");
    const started = Date.now();
    const res = await sendCallback(payloadFor(job, { status: "completed", output: videoOutput(job.input) }));
    expect(res.body).toMatchObject({ outcome: "applied", status: "ready" });
    expect(Date.now() - started).toBeLessThan(1_500);
    // The write times out and is kept, with the alarm set to retry it.
    await vi.waitFor(async () => expect((await readPending(item.id))?.failures ?? 0).toBeGreaterThanOrEqual(1), { timeout: 8_000, interval: 100 });
    // The item's queue is not held by the hung write: its status answers at once.
    const t = Date.now();
    expect((await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token })).body.status).toBe("ready");
    expect(Date.now() - t).toBeLessThan(4_000);

    await setDatabase(true);
    expect(await runDurableObjectAlarm(stub(item.id))).toBe(true);
    const r = await rowWhen(item.id, (r) => r.status === "ready");
    expect(r!.projectionVersion).toBe((await storedRecord(item.id)).version);
    expect(await readPending(item.id)).toBeUndefined();
    expect((await row(item.id))!.hlsMasterPlaylistKey).toBe(videoOutput(job.input).hlsMasterKey);
  });
});
