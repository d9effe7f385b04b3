import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { PipelineError } from "../../src/errors.ts";
import { runFanoutLocally } from "../../src/fanout/local.ts";
import { fixture, jobFor, mediaPlaylist, packetList, transcode } from "../support.ts";

// One worker process killed in the middle of its chunk, as a RunPod worker is lost: that chunk
// only is encoded again, and what is stitched is still the one-job output.
describe("a chunk's worker killed mid-chunk", () => {
  it("is tried again, that chunk only, and the stream is whole", async () => {
    const job = jobFor(fixture("pal-25.mp4"), { archive: false });
    const starts: string[] = [];
    const retried: number[] = [];
    let killed = false;
    const split = await runFanoutLocally(job, {
      split: { chunkSeconds: 6 },
      onRetry: (index) => retried.push(index),
      onSpawn: (step, child) => {
        starts.push(step);
        // Killed once it is well into its encode (FFmpeg running), with no chance to report.
        if (step === "chunk-1" && !killed) {
          killed = true;
          setTimeout(() => child.kill("SIGKILL"), 1500);
        }
      },
    });
    expect(retried).toEqual([1]);
    for (const dir of [".chunks", ".storyboard", ".fanout"]) expect(existsSync(join(job.outDir, dir, job.attemptId)), dir).toBe(false);
    expect(starts.filter((s) => s === "chunk-1")).toHaveLength(2);
    expect(starts.filter((s) => s === "chunk-0" || s === "chunk-2")).toHaveLength(2);
    const one = await transcode(fixture("pal-25.mp4"), { archive: false });
    const a = dirname(one.path(one.output.hlsMasterKey));
    const b = join(job.outDir, dirname(split.output.hlsMasterKey));
    for (const rung of one.output.readyVariants) {
      for (const seg of mediaPlaylist(join(a, rung, "index.m3u8"))) expect(packetList(join(b, rung, seg.uri)), `${rung}/${seg.uri}`).toEqual(packetList(join(a, rung, seg.uri)));
    }
  }, 180_000);

  it("fails the job, retriable, once its tries are spent, and stops the other steps", async () => {
    const job = jobFor(fixture("pal-25.mp4"), { archive: false });
    const retried: number[] = [];
    const error = await runFanoutLocally(job, {
      split: { chunkSeconds: 6 },
      chunkRetries: 1,
      onRetry: (index) => retried.push(index),
      onSpawn: (step, child) => {
        if (step === "chunk-2") setTimeout(() => child.kill("SIGKILL"), 200);
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect(error).toMatchObject({ code: "INTERNAL", retriable: true });
    expect(retried).toEqual([2]);
    // No step's scratch is left: chunk rungs, tiles, the steps' files.
    for (const dir of [".chunks", ".storyboard", ".fanout"]) expect(existsSync(join(job.outDir, dir, job.attemptId)), dir).toBe(false);
  }, 180_000);
});

describe("an original the plan cannot read", () => {
  it("fails with the probe's own code, before any chunk runs", async () => {
    const starts: string[] = [];
    const error = await runFanoutLocally(jobFor(fixture("random.mp4")), { split: { chunks: 4 }, onSpawn: (step) => starts.push(step) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "INPUT_UNREADABLE", retriable: false });
    expect(starts).toEqual(["plan"]);
  });
});
