import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ffmpegStderr, ffprobeJson, fixture, transcode } from "../support.ts";

describe("MPEG-TS whose timestamps wrap past 2^33", () => {
  it("gets its thumbnail at 10 %, showing the source's picture at that time", async () => {
    const src = fixture("wrapped.ts");
    const r = await transcode(src, { archive: false });
    expect(r.output.durationSeconds).toBeCloseTo(20, 0);
    expect(r.output.thumbnailSeconds).toBeCloseTo(2, 1);
    const thumb = r.path(r.output.thumbnailKey!);
    expect(ffprobeJson(thumb).streams[0]).toMatchObject({ width: 640, height: 360 });
    // Frame 50 (2.0 s at 25 fps), counted from the start whatever the timestamps say, against the
    // thumbnail: testsrc2 draws its clock, so a frame from another second would not match.
    const reference = join(r.job.outDir, "reference.png");
    ffmpegStderr(["-i", src, "-vf", "select=eq(n\\,50)", "-frames:v", "1", "-y", reference]);
    const ssim = Number(/All:([\d.]+)/.exec(ffmpegStderr(["-i", thumb, "-i", reference, "-lavfi", "ssim", "-f", "null", "-"]))![1]);
    // Neighbouring seconds of testsrc2 score 0.83–0.89 against each other.
    expect(ssim).toBeGreaterThan(0.95);
  });
});
