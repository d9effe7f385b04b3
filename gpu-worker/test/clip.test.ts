import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { clipArgs, cutClip } from "../src/clip.ts";
import { ffmpegStderr, ffprobeJson, fixture, tempDir } from "./support.ts";

/** PSNR (dB) of `a`'s first frame against `b`'s frame number `n` (picked by number: a seek in the comparison itself could land a frame off). */
function psnr(a: string, b: string, n: number): number {
  const err = ffmpegStderr(["-i", a, "-i", b, "-lavfi", `[0:v]trim=end_frame=1,setpts=PTS-STARTPTS,format=yuv420p[x];[1:v]select=eq(n\\,${n}),setpts=PTS-STARTPTS,format=yuv420p[y];[x][y]psnr`, "-frames:v", "1", "-f", "null", "-"]);
  const m = /average:([\d.]+|inf)/.exec(err)!;
  return m[1] === "inf" ? Infinity : Number(m[1]);
}
const opts = { timeoutMs: 60_000 };

describe("a clip's cut", () => {
  it("seeks before the input (accurate), keeps the picture and every sound track, near-lossless picture, lossless sound, Matroska", () => {
    expect(clipArgs({ input: "/s/source.mp4", output: "/s/original.mkv", startSeconds: 2, endSeconds: 7.5, base: ["-hide_banner", "-f", "mov"], hasVideo: true })).toEqual([
      "-hide_banner", "-f", "mov", "-ss", "2.000000", "-i", "/s/source.mp4", "-t", "5.500000", "-map", "0:v:0", "-map", "0:a?",
      "-c:v", "libx264", "-preset", "ultrafast", "-crf", "10", "-c:a", "flac", "-f", "matroska", "-y", "/s/original.mkv",
    ]);
    expect(clipArgs({ input: "/s/a.m4a", output: "/s/o.mkv", startSeconds: 0, endSeconds: 1, base: [], hasVideo: false })).toEqual([
      "-ss", "0.000000", "-i", "/s/a.m4a", "-t", "1.000000", "-map", "0:a?", "-c:a", "flac", "-f", "matroska", "-y", "/s/o.mkv",
    ]);
  });

  it("starts on the source's frame at the start, frame-accurately (not on a keyframe), and is as long as asked", async () => {
    const src = fixture("small.mp4");
    const out = join(tempDir(), "clip.mkv");
    // 2.1 s: 63 frames in at 30 fps, between the source's keyframes.
    await cutClip({ source: src, output: out, startSeconds: 2.1, endSeconds: 7.1, maxDurationSeconds: 3600, opts });
    const probe = ffprobeJson(out);
    expect(probe.streams.map((s: any) => `${s.codec_type}/${s.codec_name}`)).toEqual(["video/h264", "audio/flac"]);
    expect(Number(probe.format.duration)).toBeCloseTo(5, 1);
    // Frame 63 is the one at 2.1 s; the frames either side are another picture (testsrc2 moves every frame).
    const there = psnr(out, src, 63);
    expect(there).toBeGreaterThan(40);
    expect(psnr(out, src, 62)).toBeLessThan(there - 10);
    expect(psnr(out, src, 64)).toBeLessThan(there - 10);
  });

  it("a range starting past the source's end is refused, not retried", async () => {
    await expect(cutClip({ source: fixture("small.mp4"), output: join(tempDir(), "x.mkv"), startSeconds: 20, endSeconds: 25, maxDurationSeconds: 3600, opts })).rejects.toMatchObject({
      code: "INPUT_UNREADABLE",
      retriable: false,
    });
  });
});
