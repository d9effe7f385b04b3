import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_TILES, planStoryboard } from "../../src/storyboard.ts";
import { ffmpegStderr, ffprobeJson, fixture, transcode } from "../support.ts";

function cues(vtt: string) {
  const t = (s: string) => s.split(":").reduce((acc, p) => acc * 60 + Number(p), 0);
  return [...vtt.matchAll(/^([\d:.]+) --> ([\d:.]+)\n(\S+)#xywh=(\d+),(\d+),(\d+),(\d+)/gm)].map((m) => ({
    start: t(m[1]!), end: t(m[2]!), image: m[3]!, x: Number(m[4]), y: Number(m[5]), w: Number(m[6]), h: Number(m[7]),
  }));
}

describe("storyboard: a sprite sheet and its WebVTT for seek previews", () => {
  it("one tile per second of a 13 s video, each the source's picture at its cue's start", async () => {
    const src = fixture("small.mp4");
    const r = await transcode(src, { archive: false });
    const sheet = r.path(r.output.storyboardKey!);
    const c = cues(readFileSync(r.path(r.output.storyboardVttKey!), "utf8"));
    expect(c).toHaveLength(13);
    expect(c[0]).toMatchObject({ start: 0, end: 1, image: "storyboard.jpg", x: 0, y: 0, w: 160, h: 90 });
    expect(c[12]).toMatchObject({ start: 12, x: 320, y: 90 });
    expect(c.at(-1)!.end).toBeCloseTo(r.output.durationSeconds, 2);
    expect(ffprobeJson(sheet).streams[0]).toMatchObject({ codec_name: "mjpeg", width: 1600, height: 180 });
    // Tile 7, cut out of the sheet, against the source's frame at each whole second, made that
    // small by FFmpeg: testsrc2 draws its clock, so the best match must be second 7.
    const tile = join(r.job.outDir, "tile.png");
    const t7 = c[7]!;
    ffmpegStderr(["-i", sheet, "-vf", `crop=${t7.w}:${t7.h}:${t7.x}:${t7.y}`, "-y", tile]);
    const scores = Array.from({ length: 13 }, (_, second) => {
      const reference = join(r.job.outDir, `ref-${second}.png`);
      ffmpegStderr(["-i", src, "-vf", `select=eq(n\\,${second * 30}),scale=160:90:flags=bicubic`, "-frames:v", "1", "-y", reference]);
      return Number(/All:([\d.]+)/.exec(ffmpegStderr(["-i", tile, "-i", reference, "-lavfi", "ssim", "-f", "null", "-"]))![1]);
    });
    expect(scores.indexOf(Math.max(...scores)), JSON.stringify(scores)).toBe(7);
  });

  it("the ladder still reports its encoding progress as it goes (a sheet output once hid every report but the last)", async () => {
    const seen: number[] = [];
    await transcode(fixture("hd.mp4"), { archive: false, onProgress: (e) => e.phase === "encoding" && seen.push(e.percent) });
    expect(seen.filter((p) => p > 8 && p < 88).length).toBeGreaterThanOrEqual(3);
  });

  it("a long video keeps one sheet of at most 100 tiles", () => {
    expect(planStoryboard(3600, 1920, 1080)).toMatchObject({ interval: 36, tiles: 100, columns: 10, rows: 10, tileWidth: 160, tileHeight: 90 });
    expect(planStoryboard(101, 1080, 1920)).toMatchObject({ interval: 2, tiles: 51, rows: 6, tileWidth: 90, tileHeight: 160 });
    for (const d of [1, 59.9, 100, 100.5, 7200]) expect(planStoryboard(d, 640, 360).tiles).toBeLessThanOrEqual(MAX_TILES);
  });

  it("audio has none", async () => {
    const r = await transcode(fixture("voice.m4a"), { mediaType: "audio", archive: false });
    expect(r.output).toMatchObject({ storyboardKey: null, storyboardVttKey: null });
  });
});
