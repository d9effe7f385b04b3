import { describe, expect, it } from "vitest";
import { thumbnailMark } from "../../src/thumbnail.ts";
import { ffmpegStderr, ffprobeJson, fixture, transcode } from "../support.ts";

/** PSNR (dB) of a thumbnail against the source's frame at `seconds`, scaled to the thumbnail's size. */
function psnrAgainst(thumbnail: string, source: string, seconds: number): number {
  const { width, height } = ffprobeJson(thumbnail).streams[0];
  const err = ffmpegStderr(["-i", thumbnail, "-ss", String(seconds), "-i", source, "-lavfi", `[1:v]scale=${width}:${height},format=yuvj420p[ref];[0:v]format=yuvj420p[t];[t][ref]psnr`, "-frames:v", "1", "-f", "null", "-"]);
  const m = /average:([\d.]+|inf)/.exec(err);
  return m![1] === "inf" ? Infinity : Number(m![1]);
}

// thumbnailSeconds at registration (Mux's thumbnail_time): the poster frame is the one asked for,
// with today's rules (never black when there is a picture, square pixels, upright).
describe("a chosen poster frame", () => {
  it("is clamped to the last frame, and 10 % when none is asked for", () => {
    expect(thumbnailMark({}, 20, 25)).toBe(2);
    expect(thumbnailMark({ thumbnailSeconds: 5 }, 20, 25)).toBe(5);
    expect(thumbnailMark({ thumbnailSeconds: 99 }, 20, 25)).toBeCloseTo(19.94, 5);
    expect(thumbnailMark({ thumbnailSeconds: 0 }, 20, 25)).toBe(0);
  });

  it("shows the source's frame at the time asked for, and says so", async () => {
    const src = fixture("small.mp4");
    const r = await transcode(src, { archive: false, thumbnailSeconds: 7.5 });
    expect(r.output.thumbnailSeconds).toBeCloseTo(7.5, 1);
    const thumb = r.path(r.output.thumbnailKey!);
    // testsrc2's picture moves every frame: the frame at 7.5 s matches (a default thumbnail scores
    // 26.5 dB against its own frame here: JPEG, full range), the one at 10 % (1.3 s) does not (~17 dB).
    const there = psnrAgainst(thumb, src, 7.5);
    expect(there).toBeGreaterThan(22);
    expect(psnrAgainst(thumb, src, 1.3)).toBeLessThan(there - 5);
  }, 60_000);

  it("past the end: the last frame; on black: the first frame after it that is not", async () => {
    const [late, dark] = await Promise.all([
      transcode(fixture("small.mp4"), { archive: false, thumbnailSeconds: 600 }),
      transcode(fixture("black-open.mp4"), { archive: false, thumbnailSeconds: 0.5 }),
    ]);
    expect(late.output.thumbnailSeconds).toBeGreaterThan(12.8);
    expect(late.output.thumbnailSeconds).toBeLessThanOrEqual(late.output.durationSeconds!);
    expect(dark.output.thumbnailSeconds).toBeGreaterThanOrEqual(3);
    expect(dark.output.thumbnailSeconds).toBeLessThan(3.2);
  }, 60_000);
});
