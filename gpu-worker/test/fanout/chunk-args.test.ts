import { describe, expect, it } from "vitest";
import { chunkArgs, chunkFilters, mezzanineCut } from "../../src/fanout/chunk-args.ts";
import { x264 } from "../../src/encoders/x264.ts";
import { nvenc } from "../../src/encoders/nvenc.ts";
import type { VideoPlan } from "../../src/plan.ts";
import { firstTile, tileSelect } from "../../src/storyboard.ts";

const plan: VideoPlan = {
  rungs: [
    { name: "720p", width: 1280, height: 720, videoKbps: 3000, maxrateKbps: 4500, bufsizeKbps: 6000, level: "3.1" },
    { name: "360p", width: 640, height: 360, videoKbps: 800, maxrateKbps: 1200, bufsizeKbps: 1600, level: "3.0" },
  ],
  fps: 30, gop: 60, rotated: false, toneMap: false, toEightBit: false,
};
const span = (index: number, startFrame: number, frames: number | null, seekSeconds = 0) =>
  ({ index, startFrame, frames, startSeconds: startFrame / 30, firstSegment: startFrame / 180, seekSeconds });
const cmd = (s: ReturnType<typeof span>, encoder = x264) =>
  chunkArgs({ input: "/in.mp4", hlsDir: "/c", plan, encoder, segmentSeconds: 6, span: s, firstTick: 0, source: ["-f", "mov"],
    storyboard: { plan: { interval: 2, tiles: 50, columns: 10, rows: 5, tileWidth: 160, tileHeight: 90 }, tilesDir: "/t" } });

describe("a chunk's FFmpeg arguments", () => {
  it("cuts the first chunk by frame ticks after fps, and makes its first picture decode when shown", () => {
    const args = cmd(span(0, 0, 900));
    expect(args).not.toContain("-ss");
    expect(args[args.indexOf("-filter_complex") + 1]).toMatch(/^\[0:v:0\]fps=30,trim=end_pts=900,format=yuv420p,split=3\[s0\]\[s1\]\[ssb\];/);
    expect(args.filter((a) => a === "-bsf:v")).toHaveLength(2);
    expect(args).toContain("/c/720p/index.m3u8");
    // Only the tiles are numbered (image2 counts from 1); the rungs' segments start at 0.
    expect(args.flatMap((a, i) => (a === "-start_number" ? [args[i + 1]] : []))).toEqual(["1"]);
  });
  it("seeks a later chunk before a keyframe, restores the whole video's clock, and numbers its segments on", () => {
    const args = cmd(span(2, 1800, 900, 58.5));
    expect(args.slice(args.indexOf("-ss"), args.indexOf("-ss") + 4)).toEqual(["-ss", "58.500000", "-i", "/in.mp4"]);
    expect(args[args.indexOf("-filter_complex") + 1]).toMatch(/^\[0:v:0\]setpts=PTS\+58\.500000\/TB,fps=30,trim=start_pts=1800:end_pts=2700,format=yuv420p,split=3/);
    // No DTS rewrite: the encoder's reorder delay continues the chunk before.
    expect(args).not.toContain("-bsf:v");
    expect(args.filter((a) => a === "-start_number")).toHaveLength(3); // two rungs and the tiles
    expect(args[args.indexOf("-start_number") + 1]).toBe("10");
    expect(args.filter((a) => a === "passthrough")).toHaveLength(3);
    expect(args.at(-1)).toBe("/t/tile_%04d.png");
    expect(args[args.lastIndexOf("-start_number") + 1]).toBe(String(firstTile(2, 30, 1800)));
  });
  it("encodes its span of the mezzanine from the original's own frames, cut half a frame before each edge", () => {
    const args = chunkArgs({ input: "/in.ts", hlsDir: "/c", plan, encoder: x264, segmentSeconds: 6, span: span(1, 900, 900, 29), firstTick: 0, source: ["-f", "mpegts"], mezzaninePart: "/m/part_00001.ts" });
    const graph = args[args.indexOf("-filter_complex") + 1]!;
    expect(graph).toMatch(/^\[0:v:0\]setpts=PTS\+29\.000000\/TB,split=2\[mraw\]\[src\];\[mraw\]trim=start=29\.983333:end=59\.983333\[vm\];\[src\]fps=30,trim=start_pts=900:end_pts=1800,/);
    expect(args.slice(args.indexOf("[vm]") - 1)).toEqual(["-map", "[vm]", "-c:v", "libx264", "-preset", "medium", "-crf", "18", "-pix_fmt", "yuv420p", "-fps_mode", "passthrough", "-an", "-f", "mpegts", "-y", "/m/part_00001.ts"]);
    expect(mezzanineCut(span(0, 0, 900), 0, 30)).toBe("trim=end=29.983333");
    expect(mezzanineCut(span(3, 2700, null), 1, 30)).toBe("trim=start=90.016667");
  });
  it("runs the last chunk to the end", () => {
    expect(chunkFilters(["fps=30", "format=yuv420p"], span(3, 2700, null, 88), 0)).toEqual(["setpts=PTS+88.000000/TB", "fps=30", "trim=start_pts=2700", "format=yuv420p"]);
  });
  it("cuts after fps and before the tone map and the GPU upload", () => {
    const filters = chunkFilters(["bwdif=mode=send_frame:parity=auto:deint=all", "fps=25", "zscale=t=linear:npl=100", "format=yuv420p"], span(1, 150, 150, 5), 2);
    expect(filters).toEqual(["setpts=PTS+5.000000/TB", "bwdif=mode=send_frame:parity=auto:deint=all", "fps=25", "trim=start_pts=152:end_pts=302", "zscale=t=linear:npl=100", "format=yuv420p"]);
    expect(() => chunkFilters(["format=yuv420p"], span(1, 150, 150), 0)).toThrow();
    expect(cmd(span(1, 900, 900, 29), nvenc)[cmd(span(1, 900, 900, 29), nvenc).indexOf("-filter_complex") + 1]).toContain("trim=start_pts=900:end_pts=1800");
  });
});

describe("storyboard tiles across chunks", () => {
  // What the select expression picks, evaluated as FFmpeg would (doubles), on the whole video's frames.
  const picks = (interval: number, fps: number, start: number, count: number) => {
    const per = interval * fps;
    const out: number[] = [];
    for (let n = 0; n < count; n++) {
      const m = n + start;
      if (m === 0 || Math.floor(m / per) > Math.floor((m - 1) / per)) out.push(m);
    }
    return out;
  };
  it.each([[1, 30], [2, 29.97], [3, 25], [1, 10]])("interval %s s at %s fps: chunks pick the one-job tiles, numbered alike", (interval, fps) => {
    const whole = picks(interval, fps, 0, 3000);
    const fromChunks: [number, number][] = [];
    for (const [start, count] of [[0, 900], [900, 900], [1800, 1200]] as const) {
      picks(interval, fps, start, count).forEach((m, i) => fromChunks.push([firstTile(interval, fps, start) + i, m]));
    }
    expect(fromChunks).toEqual(whole.map((m, i) => [i + 1, m]));
    // Tile k is the first frame at or after k·interval.
    whole.forEach((m, k) => expect(m).toBe(Math.max(0, Math.ceil(k * interval * fps - 1e-9))));
  });
  it("is one select on the frame number", () => {
    expect(tileSelect(2, 30, 900)).toBe("select='eq((n+900)\\,0)+gt(floor((n+900)/60)\\,floor(((n+900)-1)/60))'");
  });
});
