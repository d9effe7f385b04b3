import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { probe } from "../src/probe.ts";
import { ffprobeJson, fixture, mediaPlaylist, transcode } from "./support.ts";

const segments = (r: Awaited<ReturnType<typeof transcode>>, rung: string) => {
  const dir = join(dirname(r.path(r.output.hlsMasterKey)), rung);
  return mediaPlaylist(join(dir, "index.m3u8")).map((s) => join(dir, s.uri));
};

/** Mean luma of the first frame (0–255): a failed tone map gives black or a washed-out grey. */
function meanLuma(file: string): number {
  const out = execFileSync("ffmpeg", ["-v", "error", "-i", file, "-frames:v", "1", "-vf", "signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-", "-f", "null", "-"], { encoding: "utf8" });
  return Number(/YAVG=([\d.]+)/.exec(out)?.[1]);
}

describe("HDR and variable frame rate sources", () => {
  it("an HDR10 (PQ, BT.2020, 10-bit) source is tone-mapped to 8-bit BT.709 SDR with a picture in it", async () => {
    const info = await probe(fixture("hdr.mkv"), { maxDurationSeconds: 3600 });
    expect(info.video).toMatchObject({ hdr: true });
    const r = await transcode(fixture("hdr.mkv"), { archive: false });
    const seg = segments(r, "360p")[0]!;
    const v = ffprobeJson(seg).streams.find((s: any) => s.codec_type === "video");
    expect(v).toMatchObject({ pix_fmt: "yuv420p", codec_name: "h264" });
    expect(v.color_transfer ?? "bt709").not.toBe("smpte2084");
    // testsrc2 is bright colour bars: after the tone map the mean luma sits well inside the range.
    const luma = meanLuma(seg);
    expect(luma).toBeGreaterThan(40);
    expect(luma).toBeLessThan(220);
  });

  it("a variable-frame-rate source comes out at one constant, standard rate", async () => {
    const info = await probe(fixture("vfr.mp4"), { maxDurationSeconds: 3600 });
    expect(info.video).toMatchObject({ variableFrameRate: true });
    const r = await transcode(fixture("vfr.mp4"), { archive: false });
    const seg = segments(r, "360p")[0]!;
    const frames = ffprobeJson(seg, ["-select_streams", "v", "-show_entries", "packet=pts", "-show_packets"]).packets.map((p: any) => Number(p.pts)).sort((a: number, b: number) => a - b);
    const steps: number[] = frames.slice(1).map((pts: number, i: number) => pts - frames[i]);
    // Every frame lasts the same (to the 90 kHz tick): the gaps were filled, not kept.
    expect(Math.max(...steps) - Math.min(...steps)).toBeLessThanOrEqual(1);
    // The camera's nominal 30 fps, not the 20 fps average: motion is not thinned.
    expect(90_000 / steps[0]!).toBeCloseTo(30, 2);
    expect(r.output.durationSeconds).toBeCloseTo(4, 0);
  });
});
