import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PipelineError } from "../src/errors.ts";
import { probe } from "../src/probe.ts";
import { runPipeline } from "../src/pipeline.ts";
import { fixture, jobFor } from "./support.ts";

async function failure(input: string, overrides = {}) {
  const err = await runPipeline(jobFor(input, overrides)).then(
    () => null,
    (e) => e,
  );
  expect(err).toBeInstanceOf(PipelineError);
  return err as PipelineError;
}

describe("bad input gets a clear error", () => {
  it("a truncated MP4 (no index) is INPUT_UNREADABLE", async () => {
    const e = await failure(fixture("truncated.mp4"));
    expect(e.code).toBe("INPUT_UNREADABLE");
    expect(e.message).toMatch(/moov atom not found|not a media file/);
    expect(e.retriable).toBe(false);
  });
  it("random bytes are INPUT_UNREADABLE", async () => {
    expect((await failure(fixture("random.mp4"))).code).toBe("INPUT_UNREADABLE");
  });
  it("a zero-byte file says the upload did not complete", async () => {
    const e = await failure(fixture("empty.mp4"));
    expect(e).toMatchObject({ code: "INPUT_UNREADABLE" });
    expect(e.message).toContain("empty");
  });
  it("a missing file is INPUT_NOT_FOUND", async () => {
    expect((await failure(join(fixture("empty.mp4"), "..", "nope.mp4"))).code).toBe("INPUT_NOT_FOUND");
  });
  it("audio uploaded as video is NO_MEDIA_STREAMS with the way out", async () => {
    const e = await failure(fixture("voice.m4a"), { mediaType: "video" });
    expect(e.code).toBe("NO_MEDIA_STREAMS");
    expect(e.message).toContain("upload it as audio");
  });
  it("media over the duration limit is INPUT_TOO_LONG, found by the probe alone", async () => {
    await expect(probe(fixture("small.mp4"), { maxDurationSeconds: 5 })).rejects.toMatchObject({ code: "INPUT_TOO_LONG" });
  });
  it("a stopped job is CANCELLED and kills FFmpeg", async () => {
    const controller = new AbortController();
    const job = jobFor(fixture("hd.mp4"), { signal: controller.signal, onProgress: (e) => e.phase === "encoding" && controller.abort() });
    const err = await runPipeline(job).catch((e) => e);
    expect(err).toMatchObject({ code: "CANCELLED" });
    expect(existsSync(job.outDir)).toBe(true);
  });
});
