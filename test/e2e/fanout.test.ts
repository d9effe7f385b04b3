import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AwsClient } from "aws4fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, tokenFor, upload, waitFor } from "../../dev/client.ts";
import { startStack, type Stack } from "../../dev/stack.ts";
import { signPayload, SIGNATURE_HEADER } from "../../src/contract/index.ts";
import { fixture } from "../../gpu-worker/test/support.ts";
import { launchChromium } from "./support.ts";

/**
 * One video split across two GPU worker processes on the local stack: the item's object
 * dispatches each chunk as its own job on the RunPod stand-in, the workers encode them, the stitch
 * writes the playlists. Its own stack (two workers, a 10 s threshold, 12 s chunks, a 15 s stall
 * window), beside the suite's: a 30 s 480p video becomes 3 chunks (12 + 12 + 6 s). This stack's
 * Postgres, S3 and RunPod stand-in live in this test's process: nothing here may block its event
 * loop (no execFileSync).
 */
const exec = promisify(execFile);
const STALL_SECONDS = 15;
let stack: Stack;
let dataDir: string;
let admin: string;

beforeAll(async () => {
  fixture("wide-30s.mp4"); // made before the stack lives in this process (FFmpeg runs synchronously)
  dataDir = mkdtempSync(join(tmpdir(), "e2e-fanout-"));
  stack = await startStack({ dataDir, workers: 2, fanout: { minSeconds: 10, chunkSeconds: 12 }, stuckJobFloorSeconds: STALL_SECONDS, databaseUrl: process.env.TEST_DATABASE_URL, logLevel: "warn" });
  admin = await tokenFor(stack.secrets.JWT_SECRET!, randomUUID(), "admin");
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  if (process.env.E2E_LOG_DIR) await exec("cp", ["-r", join(dataDir, "logs"), join(process.env.E2E_LOG_DIR, "fanout")]);
  rmSync(dataDir, { recursive: true, force: true });
});

const finished = (s: { status: string }) => s.status === "ready" || s.status === "failed";
const creator = async () => {
  const id = randomUUID();
  return { id, token: await tokenFor(stack.secrets.JWT_SECRET!, id, "creator") };
};
const listKeys = async (bucket: string, prefix: string) => {
  const aws = new AwsClient({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER", service: "s3", region: "us-east-1" });
  const xml = await (await aws.fetch(`${stack.s3.endpoint}/${bucket}/?list-type=2&prefix=${encodeURIComponent(prefix)}`)).text();
  return [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]!);
};
/** The stand-in's jobs for this item, each with what it was asked to do. */
const jobsOf = (mediaId: string) =>
  [...stack.runpod.jobs.values()]
    .filter((j) => (j.input as { mediaId?: string }).mediaId === mediaId)
    .map((j) => ({ id: j.id, status: j.status, podId: j.podId, task: (j.input as { task?: { kind: string; index?: number; try?: number } }).task ?? null }));
const file = (id: string, path: string) => `${stack.url}/api/admin/media/${id}/files/hls/${path}`;
const text = async (url: string) => (await fetch(url, { headers: { authorization: `Bearer ${admin}` } })).text();

async function start(me: { token: string }, register?: Record<string, unknown>) {
  const id = await upload(stack.url, me.token, fixture("wide-30s.mp4"), "video", register ? { register } : {});
  await call(stack.url, "POST", `/api/media/${id}/transcode`, me.token);
  return id;
}

describe("a long video split across two workers on the local stack", () => {
  it("is encoded in chunk jobs and stitched: one continuous stream, the chunks in the status and the row, the working files gone", async () => {
    const me = await creator();
    const id = await start(me, { downloads: { mp4: "highest", audio: true } });
    const ready = await waitFor(stack.url, me.token, id, finished, { timeoutMs: 240_000, intervalMs: 500 });
    expect(ready.error).toBeNull();
    expect(ready).toMatchObject({ status: "ready", retriesUsed: 0, readyVariants: ["480p", "360p"] });
    expect(ready.chunks).toMatchObject({ count: 3, done: 3, stitching: true });
    expect(ready.chunks.encodeSeconds.every((s: number | null) => typeof s === "number" && s > 0)).toBe(true);
    // The first job, a job per chunk, and the stitch.
    const jobs = jobsOf(id);
    expect(jobs.map((j) => j.task?.kind ?? "first").sort()).toEqual(["chunk", "chunk", "chunk", "first", "stitch"]);
    expect(new Set(jobs.map((j) => j.podId)).size).toBe(2);
    // Each rung: 5 segments of 6 s end to end, no discontinuity, numbered as one job numbers them.
    for (const rung of ["480p", "360p"]) {
      const playlist = await text(file(id, `${rung}/index.m3u8`));
      expect(playlist).not.toContain("DISCONTINUITY");
      expect(playlist).toContain("#EXT-X-ENDLIST");
      expect([...playlist.matchAll(/^seg_(\d{5})\.ts$/gm)].map((m) => Number(m[1]))).toEqual([0, 1, 2, 3, 4]);
    }
    // Every rendition the master names is there: the rungs (the stitch's), the sound and the preview (the first job's).
    const master = await text(file(id, "master.m3u8"));
    const uris = [...master.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!).concat(master.split("\n").filter((l) => l && !l.startsWith("#")));
    expect(uris).toContain("audio/index.m3u8");
    for (const uri of uris) expect((await fetch(file(id, uri), { headers: { authorization: `Bearer ${admin}` } })).status, uri).toBe(200);
    expect((await fetch(file(id, "preview/preview.m3u8"), { headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
    // Decoded whole through the Worker: every segment of every stream plays, and the length is the source's.
    const headers = `Authorization: Bearer ${admin}\r\n`;
    const probe = JSON.parse((await exec("ffprobe", ["-v", "error", "-headers", headers, "-show_entries", "format=duration", "-of", "json", file(id, "master.m3u8")])).stdout);
    expect(Number(probe.format.duration)).toBeCloseTo(30, 0);
    await exec("ffmpeg", ["-v", "error", "-headers", headers, "-i", file(id, "master.m3u8"), "-map", "0", "-f", "null", "-"]);
    // Its downloads, made by the stitch from segments the chunk jobs uploaded: whole, 30 s, decodable.
    expect(ready.downloads.map((d: { name: string }) => d.name)).toEqual(["480p.mp4", "audio.m4a"]);
    const { token } = await call(stack.url, "POST", `/api/media/${id}/playback-token`, me.token, {});
    const mp4 = `${stack.url}/play/${token}/download/480p.mp4`;
    const mp4Probe = JSON.parse((await exec("ffprobe", ["-v", "error", "-show_entries", "format=duration:stream=codec_type", "-of", "json", mp4])).stdout);
    expect(Number(mp4Probe.format.duration)).toBeCloseTo(30, 0);
    expect(mp4Probe.streams.map((s: { codec_type: string }) => s.codec_type).sort()).toEqual(["audio", "video"]);
    await exec("ffmpeg", ["-v", "error", "-i", mp4, "-map", "0", "-f", "null", "-"]);
    // The dashboard's row: each chunk's encode seconds.
    const row = await call(stack.url, "GET", `/api/admin/media/${id}`, admin);
    expect(row.chunkEncodeSeconds).toEqual(ready.chunks.encodeSeconds);
    // Each chunk job fetched only its byte ranges of the MP4 (the workers' logs say what they fetched).
    const logs = (await Promise.all(["gpu-worker.log", "gpu-worker-1.log"].map((f) => readFile(join(dataDir, "logs", f), "utf8")))).join("\n");
    const fetched = logs.split("\n").filter((l) => l.includes('"job.downloaded"') && l.includes(id)).map((l) => JSON.parse(l) as { bytes: number; of?: number; ranges?: number });
    const partial = fetched.filter((f) => f.of !== undefined);
    expect(partial).toHaveLength(3);
    expect(partial.filter((f) => f.bytes < f.of! * 0.75)).toHaveLength(3);
    // The split's working files (plan, manifests, tiles) are removed by the stitch.
    await expect.poll(() => listKeys("media", `${me.id}/fanout/${id}/`), { timeout: 10_000 }).toEqual([]);

    // The dashboard's item page says how it was split, and plays it.
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      await page.goto(`${stack.url}/admin/#token=${admin}`);
      await page.goto(`${stack.url}/admin/#/media/${id}`);
      await expect.poll(() => page.locator("dd.chunks").textContent(), { timeout: 15_000 }).toMatch(/^3 chunks · encode s \d+\.\d, \d+\.\d, \d+\.\d$/);
      const video = page.locator("video#player");
      await video.waitFor();
      // play() again while paused (the page may re-render the player as it refreshes); its promise is
      // not awaited (it waits for playback), the poll is what is bounded.
      await expect
        .poll(() => video.evaluate((v: any) => (v.paused && void v.play().catch(() => {}), v.currentTime as number)), { timeout: 60_000, interval: 500, message: () => errors.join("\n") } as never)
        .toBeGreaterThan(1);
    } finally {
      await browser.close();
    }
  });

  it("a worker killed mid-chunk: that chunk is dispatched again after the stall window, and the item ends ready without spending its retry", async () => {
    const me = await creator();
    const id = await start(me);
    // Wait for a chunk job that a worker is encoding, then kill that worker.
    let victim: ReturnType<typeof jobsOf>[number] | undefined;
    await expect.poll(() => (victim = jobsOf(id).find((j) => j.task?.kind === "chunk" && j.status === "IN_PROGRESS")), { timeout: 60_000, interval: 100 }).toBeTruthy();
    const slot = Number(/^local-pod-(\d+)-/.exec(victim!.podId ?? "")?.[1]);
    await stack.killWorker("SIGKILL", slot);
    await stack.startWorker(slot);
    const ready = await waitFor(stack.url, me.token, id, finished, { timeoutMs: 240_000, intervalMs: 500 });
    expect(ready).toMatchObject({ status: "ready", retriesUsed: 0 });
    const tries = jobsOf(id).filter((j) => j.task?.kind === "chunk" && j.task.index === victim!.task!.index);
    expect(tries.map((j) => j.task!.try).sort()).toEqual([1, 2]);
    await exec("ffmpeg", ["-v", "error", "-headers", `Authorization: Bearer ${admin}\r\n`, "-i", file(id, "master.m3u8"), "-map", "0", "-f", "null", "-"]);
  });

  it("a chunk that fails retriably is tried again; its duplicate and a superseded try's late word are answered and ignored", async () => {
    const me = await creator();
    const id = await start(me);
    let running: ReturnType<typeof jobsOf>[number] | undefined;
    await expect.poll(() => (running = jobsOf(id).find((j) => j.task?.kind === "chunk" && j.task.try === 1 && j.status === "IN_QUEUE")), { timeout: 60_000, interval: 50 }).toBeTruthy();
    const { attemptId } = await call(stack.url, "GET", `/api/media/${id}/transcoding-status`, me.token);
    const chunk = { index: running!.task!.index!, try: 1 };
    // Signed as the worker signs: what a chunk job whose encoder crashed would say.
    const failed = { eventId: randomUUID(), attemptId, jobId: running!.id, mediaId: id, sentAt: new Date().toISOString(), status: "failed", chunk, error: { code: "ENCODE_FAILED", message: "encoder crashed", retriable: true } };
    const send = async (body: object) => {
      const raw = JSON.stringify(body);
      const res = await fetch(`${stack.url}/api/transcoding/webhook`, { method: "POST", headers: { "content-type": "application/json", [SIGNATURE_HEADER]: await signPayload(stack.secrets.RUNPOD_WEBHOOK_SECRET!, raw) }, body: raw });
      return { status: res.status, body: (await res.json()) as { outcome?: string } };
    };
    expect(await send(failed)).toMatchObject({ status: 200, body: { outcome: "applied" } });
    // The same callback again, and try 1's completion arriving late: both acknowledged, neither applied.
    expect(await send(failed)).toMatchObject({ status: 200, body: { outcome: "ignored", reason: "duplicate event" } });
    const late = { ...failed, eventId: randomUUID(), status: "chunk-completed", encodeSeconds: 3, error: undefined };
    expect(await send(late)).toMatchObject({ status: 200, body: { outcome: "ignored" } });
    const ready = await waitFor(stack.url, me.token, id, finished, { timeoutMs: 240_000, intervalMs: 500 });
    expect(ready).toMatchObject({ status: "ready", retriesUsed: 0 });
    const tries = jobsOf(id).filter((j) => j.task?.kind === "chunk" && j.task.index === chunk.index);
    expect(tries.map((j) => j.task!.try).sort()).toEqual([1, 2]);
    // Try 1's job was cancelled at RunPod when its failure came in.
    expect(tries.find((j) => j.task!.try === 1)!.status).toMatch(/CANCELLED|COMPLETED/);
  });

  it("cancel mid-split cancels every job in flight; delete mid-split removes the item's files", async () => {
    const me = await creator();
    const id = await start(me);
    await waitFor(stack.url, me.token, id, (s) => (s.chunks?.count ?? 0) > 0 || finished(s), { timeoutMs: 60_000, intervalMs: 100 });
    await call(stack.url, "POST", `/api/media/${id}/cancel-transcoding`, admin);
    const failed = await waitFor(stack.url, me.token, id, finished, { timeoutMs: 10_000, intervalMs: 200 });
    expect(failed).toMatchObject({ status: "failed", error: { code: "CANCELLED" } });
    // Nothing of it runs or waits at RunPod: every job ended or was cancelled.
    await expect.poll(() => jobsOf(id).filter((j) => j.status === "IN_QUEUE" || j.status === "IN_PROGRESS").map((j) => j.task?.kind ?? "first"), { timeout: 20_000 }).toEqual([]);

    const other = await start(me);
    await waitFor(stack.url, me.token, other, (s) => (s.chunks?.count ?? 0) > 0 || finished(s), { timeoutMs: 60_000, intervalMs: 100 });
    const del = await fetch(`${stack.url}/api/media/${other}`, { method: "DELETE", headers: { authorization: `Bearer ${me.token}` } });
    expect(del.status).toBe(204);
    await expect.poll(() => jobsOf(other).filter((j) => j.status === "IN_QUEUE" || j.status === "IN_PROGRESS").length, { timeout: 20_000 }).toBe(0);
    await expect.poll(async () => (await Promise.all([`${me.id}/hls/${other}/`, `${me.id}/fanout/${other}/`, `${me.id}/originals/${other}/`].map((p) => listKeys("media", p)))).flat(), { timeout: 30_000 }).toEqual([]);
  });
});
