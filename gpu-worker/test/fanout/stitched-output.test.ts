import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { fanout, firstFrameIsKey, fixture, joinedSegments, mediaPlaylist, packetList, ssimPerFrame, tempDir, transcode } from "../support.ts";

const stripBandwidth = (master: string) => master.replace(/(AVERAGE-)?BANDWIDTH=\d+/g, "$1BANDWIDTH=n");

// Each source split into chunks of one 6 s segment (13–14 s: two joins), against the same source
// as one job. Rate control restarts per chunk, so bytes differ; every timestamp must not.
describe.each(["pal-25.mp4", "ntsc-2997.mp4", "sixty-14s.mp4", "vfr-14s.mp4", "interlaced-14s.ts", "rotated-14s.mp4", "late-audio-14s.mp4"])(
  "%s split into one-segment chunks",
  async (name) => {
    const [one, split] = await Promise.all([transcode(fixture(name), { archive: false }), fanout(fixture(name), { chunkSeconds: 6 }, { archive: false })]);
    const hlsOne = dirname(one.path(one.output.hlsMasterKey));
    const hlsSplit = dirname(split.path(split.output.hlsMasterKey));
    const rungs = one.output.readyVariants;
    const joins = split.plan.chunks.chunks.slice(1).map((c) => c.startFrame);

    it("was really split, at segment boundaries", () => {
      expect(split.plan.chunks.chunks.length).toBeGreaterThanOrEqual(3);
      expect(joins.every((f) => f % split.plan.chunks.segmentFrames === 0)).toBe(true);
    });

    it("reports what a one-job item reports", () => {
      expect(split.output).toEqual({ ...one.output, hlsMasterKey: split.output.hlsMasterKey, hlsPreviewKey: split.output.hlsPreviewKey, thumbnailKey: split.output.thumbnailKey, storyboardKey: split.output.storyboardKey, storyboardVttKey: split.output.storyboardVttKey });
    });

    // EXTINF to the microsecond: the muxer measures a chunk's last segment to its last frame's end
    // and a one-job segment to the next one's start, each rounded to the 90 kHz clock (11 µs apart at 29.97).
    const lines = (path: string) => readFileSync(path, "utf8").split("\n").map((l) => l.replace(/^#EXTINF:([\d.]+)/, (_, d) => `#EXTINF:${Number(d).toFixed(4)}`));
    it("writes every rung's playlist and the master as one job does (bitrates aside)", () => {
      for (const rung of rungs) expect(lines(join(hlsSplit, rung, "index.m3u8")), rung).toEqual(lines(join(hlsOne, rung, "index.m3u8")));
      expect(stripBandwidth(readFileSync(join(hlsSplit, "master.m3u8"), "utf8"))).toBe(stripBandwidth(readFileSync(join(hlsOne, "master.m3u8"), "utf8")));
    });

    it("gives every segment of every rung the one job's timestamps and keyframes, packet for packet", () => {
      for (const rung of rungs) {
        for (const seg of mediaPlaylist(join(hlsOne, rung, "index.m3u8"))) {
          expect(packetList(join(hlsSplit, rung, seg.uri)), `${rung}/${seg.uri}`).toEqual(packetList(join(hlsOne, rung, seg.uri)));
          expect(firstFrameIsKey(join(hlsSplit, rung, seg.uri))).toBe(true);
        }
      }
    });

    it("keeps the sound whole: the audio rendition is the one job's, packet for packet", () => {
      for (const seg of mediaPlaylist(join(hlsOne, "audio", "index.m3u8"))) {
        expect(packetList(join(hlsSplit, "audio", seg.uri))).toEqual(packetList(join(hlsOne, "audio", seg.uri)));
      }
    });

    it("decodes every frame of the top rung, with SSIM at the joins no worse than elsewhere", () => {
      const top = rungs[0]!;
      const joined = joinedSegments(join(hlsSplit, top, "index.m3u8"), join(tempDir(), "top.ts"));
      const reference = joinedSegments(join(hlsOne, top, "index.m3u8"), join(tempDir(), "one.ts"));
      // Against the one-job encode of the same rung: the same frames at the same instants.
      const ssim = ssimPerFrame(joined, reference, "null");
      const frames = Number(execFileSync("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", reference], { encoding: "utf8" }).trim().split("\n")[0]);
      expect(ssim.length).toBe(frames);
      const near = (i: number) => joins.some((j) => Math.abs(i - j) <= 3);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const atJoins = mean(ssim.filter((_, i) => near(i)));
      const elsewhere = mean(ssim.filter((_, i) => !near(i)));
      expect(atJoins).toBeGreaterThan(0.9);
      expect(atJoins).toBeGreaterThanOrEqual(elsewhere - 0.01);
    });

    it("tiles the storyboard as one job does", () => {
      expect(readFileSync(split.path(split.output.storyboardVttKey!), "utf8")).toBe(readFileSync(one.path(one.output.storyboardVttKey!), "utf8"));
    });
  },
  300_000,
);

// The whole-file job makes the subtitles before any rung exists: their map onto the segments'
// clock must still be the one a one-job encode measures from its first segment.
describe("subtitles of a split video", () => {
  it("carry the one job's timestamp map and cues", async () => {
    const [one, split] = await Promise.all([transcode(fixture("subtitled.mkv"), { archive: false }), fanout(fixture("subtitled.mkv"), { chunks: 2 }, { archive: false })]);
    const a = dirname(one.path(one.output.hlsMasterKey));
    const b = dirname(split.path(split.output.hlsMasterKey));
    for (const dir of ["subs_1", "subs_2"]) {
      expect(readFileSync(join(b, dir, "index.vtt"), "utf8"), dir).toBe(readFileSync(join(a, dir, "index.vtt"), "utf8"));
    }
    expect(split.output.subtitles).toEqual(one.output.subtitles);
  }, 120_000);
});

// An original that cannot be remuxed (MPEG-TS with MP2 sound): the mezzanine is encoded by the
// chunks in parts, its sound by the whole-file job, and joined without re-encoding.
describe("the mezzanine of a split video that cannot be remuxed", () => {
  it("has the one job's frames, timestamps and sound", async () => {
    const [one, split] = await Promise.all([transcode(fixture("interlaced-14s.ts")), fanout(fixture("interlaced-14s.ts"), { chunkSeconds: 6 })]);
    expect(split.plan.mezzanine).toBe("parts");
    expect(split.output.mezzanineKey).not.toBeNull();
    const a = one.path(one.output.mezzanineKey!);
    const b = split.path(split.output.mezzanineKey!);
    // In seconds: the parts keep MPEG-TS's 1/90000 time base, a one-job MP4 picks its own (1/12800 at 25 fps).
    const pts = (path: string, kind: "v" | "a") =>
      execFileSync("ffprobe", ["-v", "error", "-select_streams", kind, "-show_entries", "packet=pts_time", "-of", "csv=p=0", path], { encoding: "utf8" })
        .split("\n").filter((l) => l.trim()).map((t) => Math.round(Number(t) * 10_000) / 10_000).sort((x, y) => x - y);
    expect(pts(b, "v")).toEqual(pts(a, "v"));
    expect(pts(b, "a")).toEqual(pts(a, "a"));
    // The same pictures: every frame close to the one job's, the joins included.
    const ssim = ssimPerFrame(b, a, "null");
    expect(ssim.length).toBe(pts(a, "v").length);
    expect(Math.min(...ssim)).toBeGreaterThan(0.95);
    expect(split.files.filter((f) => f.bucket === "archive").map((f) => f.key)).toEqual([split.output.mezzanineKey]);
  }, 180_000);

  it("is the original remuxed whole when it can be", async () => {
    const split = await fanout(fixture("pal-25.mp4"), { chunkSeconds: 6 });
    expect(split.plan.mezzanine).toBe("whole");
    expect(split.output.mezzanineKey).not.toBeNull();
  }, 120_000);
});
