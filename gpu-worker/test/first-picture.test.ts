import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { fixture, mediaPlaylist, transcode } from "./support.ts";

/** Every packet of one stream kind in a segment, in file (decode) order, times in 90 kHz ticks. */
function packets(segment: string, kind: "v" | "a"): { pts: number; dts: number }[] {
  const out = execFileSync("ffprobe", ["-v", "error", "-select_streams", kind, "-show_entries", "packet=pts,dts", "-of", "csv=p=0", segment], { encoding: "utf8" });
  return out.split("\n").filter((l) => l.trim()).map((l) => {
    const [pts, dts] = l.split(",").map(Number);
    return { pts: pts!, dts: dts! };
  });
}

// hls.js puts the timeline's zero at the earliest decode time; a picture stamped to show two
// frames after its decode time then starts its buffer 67 ms (30 fps) or 200 ms (10 fps) late.
describe.each([
  ["small.mp4", 30],
  ["vfr.mp4", 30],
  ["late-audio.mp4", 25],
])("%s: the first picture is shown when it is decoded, with the first sound", async (name) => {
  const r = await transcode(fixture(name));
  const hls = dirname(r.path(r.output.hlsMasterKey));
  const firstSegment = (dir: string, playlist = "index.m3u8") => join(hls, dir, mediaPlaylist(join(hls, dir, playlist))[0]!.uri);
  const audioStart = packets(firstSegment("audio"), "a")[0]!.pts;

  // Each rung and the audio rendition are files of their own, each shifted by its own muxer: the
  // picture starts with the audio rendition's first packet (its 21 ms of priming, then sound).
  it("every rung's first packet has PTS = DTS = the audio rendition's first PTS", () => {
    for (const rung of r.output.readyVariants) {
      const first = packets(firstSegment(rung), "v")[0]!;
      expect(first.dts, rung).toBe(first.pts);
      expect(first.pts, rung).toBe(audioStart);
    }
  });

  // In one file the muxer shifts both streams by the AAC encoder's priming (1024 samples at
  // 48 kHz, 1920 ticks), so the picture starts with the first real sound, not with the priming.
  it("the preview's picture starts with its first real sound", () => {
    const seg = firstSegment("preview", "preview.m3u8");
    const v = packets(seg, "v")[0]!;
    expect(v.dts).toBe(v.pts);
    expect(v.pts - packets(seg, "a")[0]!.pts).toBe(1920);
  });

  it("keeps every DTS rising and never after its PTS, in every segment", () => {
    for (const rung of r.output.readyVariants) {
      let last = -Infinity;
      for (const seg of mediaPlaylist(join(hls, rung, "index.m3u8"))) {
        for (const p of packets(join(hls, rung, seg.uri), "v")) {
          expect(p.dts).toBeGreaterThan(last);
          expect(p.dts).toBeLessThanOrEqual(p.pts);
          last = p.dts;
        }
      }
    }
  });
});
