import { abortAllDurableObjects, env, runDurableObjectAlarm } from "cloudflare:test";
import { eq, sql } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { configFrom } from "../../src/config.ts";
import { withDb } from "../../src/db/client.ts";
import { mediaItems } from "../../schema/index.ts";
import { api, useFakeRunpod, payloadFor, pendingProjection, row, rowWhen, sendCallback, setDatabase, storedRecord, stub, uploadedItem, uuid, videoOutput } from "./helpers.ts";

const runpod = useFakeRunpod();
afterEach(() => setDatabase(true));

describe("durability", () => {
  it("an object evicted mid-lifecycle is restored from storage and carries on", async () => {
    const item = await uploadedItem(uuid());
    await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
    const job = runpod.lastJob();
    await sendCallback(payloadFor(job, { status: "progress", phase: "encoding", percent: 50 }));
    await abortAllDurableObjects();
    const restored = await api("GET", `/api/media/${item.id}/transcoding-status`, { token: item.token });
    expect(restored.body).toMatchObject({ status: "transcoding", percent: 50, jobId: job.jobId, attemptId: job.input.attemptId });
    const done = await sendCallback(payloadFor(job, { status: "completed", output: videoOutput(job.input) }));
    expect(done.body).toMatchObject({ outcome: "applied", status: "ready" });
    await rowWhen(item.id, (r) => r.status === "ready");
  });

  it("Postgres down while a callback lands: acknowledged, kept, and the row catches up when it is back", async () => {
    const item = await uploadedItem(uuid());
    await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
    const job = runpod.lastJob();
    await rowWhen(item.id, (r) => r.status === "transcoding");

    await setDatabase(false);
    const output = videoOutput(job.input);
    const res = await sendCallback(payloadFor(job, { status: "completed", output }));
    expect(res).toMatchObject({ status: 200, body: { outcome: "applied", status: "ready" } });
    // The write failed and is pending in the object's storage, with the alarm set to retry it.
    const pending = await eventually(async () => (await readPending(item.id))?.failures ?? 0, (n) => n >= 1);
    expect(pending).toBeGreaterThanOrEqual(1);

    await setDatabase(true);
    expect((await row(item.id))!.status).toBe("transcoding");
    expect(await runDurableObjectAlarm(stub(item.id))).toBe(true);
    const r = await rowWhen(item.id, (r) => r.status === "ready");
    expect(r).toMatchObject({ hlsMasterPlaylistKey: output.hlsMasterKey, projectionVersion: (await storedRecord(item.id)).version });
    expect(await readPending(item.id)).toBeUndefined();
  });

  it("a stale write never overwrites a newer one", async () => {
    const item = await uploadedItem(uuid());
    await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
    const r = await rowWhen(item.id, (r) => r.status === "transcoding" && r.runpodJobId !== null);
    // Someone (a late writer) already stored a much newer version.
    await withDb(configFrom(env), (db) =>
      db.update(mediaItems).set({ projectionVersion: r!.projectionVersion + 100, transcodingPhase: "newer" }).where(eq(mediaItems.id, item.id)),
    );
    await sendCallback(payloadFor(runpod.lastJob(), { status: "progress", phase: "encoding", percent: 70 }));
    // Progress is projected by the alarm within a second; the write that lost is done, not retried.
    await vi.waitFor(async () => expect(await readPending(item.id)).toBeUndefined(), { timeout: 5000, interval: 100 });
    const after = await row(item.id);
    expect(after).toMatchObject({ transcodingPhase: "newer", projectionVersion: r!.projectionVersion + 100 });
  });

  it("a burst of progress costs one Postgres write, and the row shows the latest within seconds", async () => {
    const item = await uploadedItem(uuid());
    await api("POST", `/api/media/${item.id}/transcode`, { token: item.token });
    await rowWhen(item.id, (r) => r.status === "transcoding" && r.runpodJobId !== null);
    for (const percent of [10, 20, 30, 40, 50]) {
      await sendCallback(payloadFor(runpod.lastJob(), { status: "progress", phase: "encoding", percent }));
    }
    expect((await row(item.id))?.transcodingPercent).not.toBe(50); // not written per callback
    const caughtUp = await rowWhen(item.id, (r) => r.transcodingPercent === 50);
    expect(caughtUp).toMatchObject({ transcodingPhase: "encoding" });
  });

  it("the database down at registration: 503 in the envelope, nothing created", async () => {
    await setDatabase(false);
    const token = await (await import("./helpers.ts")).tokenFor(uuid());
    const res = await api("POST", "/api/media", { token, body: { mediaType: "video", filename: "a.mp4", size: 10, contentType: "video/mp4" } });
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: "UNAVAILABLE" });
    await setDatabase(true);
    const count = await withDb(configFrom(env), async (db) => (await db.execute(sql`select 1`)).rows.length);
    expect(count).toBe(1);
  });
});

const readPending = pendingProjection;

async function eventually<T>(fn: () => Promise<T>, check: (v: T) => boolean, ms = 10_000) {
  const until = Date.now() + ms;
  let v = await fn();
  while (!check(v) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    v = await fn();
  }
  return v;
}
