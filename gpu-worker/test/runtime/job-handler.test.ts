import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobResult, originalKey, type JobInputDraft } from "../../../src/contract/index.ts";
import { doneBody, handleJob, type HandlerDeps } from "../../src/runtime/job-handler.ts";
import { fixture } from "../support.ts";
import { faultyProxy, handlerDeps, localS3, SECRET, webhookReceiver } from "./support.ts";

let s3: Awaited<ReturnType<typeof localS3>>;
let hook: Awaited<ReturnType<typeof webhookReceiver>>;
const scratchRoot = mkdtempSync(join(tmpdir(), "scratch-"));

beforeAll(async () => {
  s3 = await localS3();
  hook = await webhookReceiver();
});
afterAll(async () => {
  await hook.close();
  await s3.stop();
});

const deps = (over: Partial<HandlerDeps> = {}): HandlerDeps => handlerDeps(s3, hook, scratchRoot, over);

/** An item whose original is in the media bucket (unless `upload` is false). */
async function job(fixtureName: string, upload = true) {
  const creatorId = randomUUID();
  const mediaId = randomUUID();
  const inputKey = originalKey(creatorId, mediaId, fixtureName);
  if (upload) await s3.store("media").upload(inputKey, fixture(fixtureName));
  const input: JobInputDraft = { contractVersion: 1, mediaId, creatorId, mediaType: "video", attemptId: randomUUID(), inputKey, webhookUrl: hook.url };
  return { id: `job-${randomUUID()}`, input };
}
const callbacksOf = (mediaId: string) => hook.received.filter((c) => c.mediaId === mediaId);

describe("job handler: download → pipeline → upload → callback", () => {
  it("uploads every output under its key and calls back completed, progress only forward", async () => {
    const j = await job("small.mp4");
    const outcome = await handleJob(j, deps());
    expect(outcome.kind).toBe("result");
    const result = jobResult.parse(doneBody(outcome).output);
    expect(result.status).toBe("completed");
    if (result.status !== "completed") return;
    const o = result.output;
    expect(o.readyVariants).toEqual(["360p"]);
    for (const key of [o.hlsMasterKey, o.hlsPreviewKey!, o.thumbnailKey!, `${o.hlsMasterKey.replace("master.m3u8", "360p/index.m3u8")}`]) {
      expect(await s3.store("media").head(key), key).not.toBeNull();
    }
    expect((await s3.store("media").head(o.thumbnailKey!))?.contentType).toBe("image/jpeg");
    expect(await s3.store("archive").head(o.mezzanineKey!)).toMatchObject({ contentType: "video/mp4" });
    const calls = callbacksOf(j.input.mediaId);
    expect(calls.at(-1)).toMatchObject({ status: "completed", jobId: j.id, attemptId: j.input.attemptId, output: o });
    const percents = calls.filter((c) => c.status === "progress").map((c) => (c.status === "progress" ? c.percent : 0));
    expect(percents.length).toBeGreaterThan(3);
    expect([...percents].sort((a, b) => a - b)).toEqual(percents);
    expect(new Set(calls.map((c) => (c.status === "progress" ? c.phase : null)))).toEqual(
      new Set([null, "downloading", "probing", "encoding", "packaging", "uploading"]),
    );
    expect(readdirSync(scratchRoot)).toEqual([]);
  });

  it("a missing original fails INPUT_NOT_FOUND, not retriable, and uploads nothing", async () => {
    const j = await job("small.mp4", false);
    const outcome = await handleJob(j, deps());
    expect(doneBody(outcome).error).toMatch(/^INPUT_NOT_FOUND/);
    expect(callbacksOf(j.input.mediaId).at(-1)).toMatchObject({ status: "failed", error: { code: "INPUT_NOT_FOUND", retriable: false } });
    expect(readdirSync(scratchRoot)).toEqual([]);
  });

  it("an object store that refuses uploads fails the job UPLOAD_FAILED", async () => {
    const proxy = await faultyProxy(s3.endpoint, (req) => (req.method === "PUT" ? "500" : "pass"));
    try {
      const j = await job("silent.mp4");
      const media = s3.store("media", proxy.endpoint, { attempts: 2 });
      const outcome = await handleJob(j, deps({ media, archive: null }));
      expect(doneBody(outcome).error).toMatch(/^UPLOAD_FAILED/);
      expect(callbacksOf(j.input.mediaId).at(-1)).toMatchObject({ status: "failed", error: { code: "UPLOAD_FAILED", retriable: true } });
    } finally {
      await proxy.close();
    }
  });

  it("a stop mid-encode kills FFmpeg, calls back CANCELLED and leaves no scratch", async () => {
    const j = await job("hd.mp4");
    const stop = new AbortController();
    const started = Date.now();
    const outcome = await handleJob(j, deps(), {
      signal: stop.signal,
      onProgress: (p) => p.phase === "encoding" && p.percent > 10 && stop.abort(new Error("stopped by RunPod")),
    });
    expect(doneBody(outcome).error).toMatch(/^CANCELLED/);
    expect(callbacksOf(j.input.mediaId).at(-1)).toMatchObject({ status: "failed", error: { code: "CANCELLED" } });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(existsSync(join(scratchRoot, j.id))).toBe(false);
  });

  it("an input that breaks the contract is reported to RunPod only", async () => {
    const outcome = await handleJob({ id: "job-bad", input: { contractVersion: 2 } }, deps());
    expect(outcome.kind).toBe("invalid");
    expect(doneBody(outcome).error).toMatch(/contract/);
  });
});
