import { describe, expect, it } from "vitest";
import { demuxerFor, isStillImage, sourceFormatArgs } from "../src/containers.ts";
import { nvenc } from "../src/encoders/nvenc.ts";
import { x264 } from "../src/encoders/x264.ts";
import { idetArgs, interlacedFromIdet } from "../src/interlace.ts";
import { ladderArgs } from "../src/ladder-args.ts";
import type { VideoPlan } from "../src/plan.ts";
import { shownAt, thumbnailArgs } from "../src/stills-args.ts";
import { seekable } from "../src/thumbnail.ts";
import { storyboardSheetArgs } from "../src/storyboard.ts";

const plan: VideoPlan = {
  stream: "0:1",
  fps: 25,
  gop: 50,
  rotated: false,
  toneMap: false,
  toEightBit: false,
  deinterlace: true,
  rungs: [{ name: "1080p", width: 1920, height: 1080, videoKbps: 5000, maxrateKbps: 7500, bufsizeKbps: 10000, level: "4.0" }],
};

/** Golden arguments for what an input's shape adds: a change must be a deliberate change here. */
describe("interlaced sources", () => {
  it("are deinterlaced first, one frame per frame: bwdif on the CPU, yadif_cuda on the GPU", () => {
    expect(x264.sourceFilters(plan)).toEqual(["bwdif=mode=send_frame:parity=auto:deint=all", "fps=25", "format=yuv420p"]);
    expect(nvenc.sourceFilters(plan)).toEqual(["yadif_cuda=mode=send_frame:parity=auto:deint=all", "fps=25"]);
    expect(x264.sourceFilters({ ...plan, deinterlace: false })).toEqual(["fps=25", "format=yuv420p"]);
  });
  it("are found by a short idet pass over the chosen stream", () => {
    expect(idetArgs("/in.mp4", ["-f", "mov"], "0:1")).toEqual(["-f", "mov", "-i", "/in.mp4", "-map", "0:1", "-frames:v", "60", "-vf", "idet", "-an", "-f", "null", "-"]);
    const line = (t: number, b: number, p: number) => `[Parsed_idet_0 @ 0x1] Multi frame detection: TFF: ${t} BFF: ${b} Progressive: ${p} Undetermined: 0`;
    expect(interlacedFromIdet(line(148, 0, 2))).toBe(true);
    expect(interlacedFromIdet(line(0, 90, 10))).toBe(true);
    expect(interlacedFromIdet(line(4, 0, 146))).toBe(false);
    expect(interlacedFromIdet(line(5, 0, 0))).toBe(false);
    expect(interlacedFromIdet("")).toBe(false);
  });
});

describe("the ladder's inputs", () => {
  it("encodes the chosen streams and fits the sound to the video's length", () => {
    const args = ladderArgs({ input: "/in.mkv", hlsDir: "/o", plan, encoder: x264, segmentSeconds: 6, previewSeconds: 30, audio: { filter: null, stream: "0:3", fitSeconds: 10.04 }, base: ["-f", "matroska"] });
    expect(args.slice(0, 4)).toEqual(["-f", "matroska", "-i", "/in.mkv"]);
    const graph = args[args.indexOf("-filter_complex") + 1]!;
    expect(graph.startsWith("[0:1]bwdif=mode=send_frame:parity=auto:deint=all,fps=25,format=yuv420p,split=2")).toBe(true);
    expect(graph).toContain(
      "[0:3]aresample=48000,aformat=sample_rates=48000:channel_layouts=stereo,aresample=async=1:first_pts=0,apad,atrim=end=10.040,asplit=2[a][ap0]",
    );
  });
});

describe("thumbnails", () => {
  const cmd = { input: "/in.ts", output: "/t.jpg", atSeconds: 2, plan: { ...plan, deinterlace: false }, base: ["-f", "mpegts"] };
  it("seek mode: input seek, a 10 s window, black frames skipped, the frame's time logged", () => {
    expect(thumbnailArgs({ ...cmd, mode: "seek", skipBlack: true })).toEqual([
      "-f", "mpegts", "-ss", "2.000", "-t", "10", "-i", "/in.ts", "-map", "0:1",
      "-vf", "format=yuv420p,signalstats,metadata=mode=select:key=lavfi.signalstats.YAVG:value=24:function=greater,scale=1280:720:flags=bicubic,setsar=1,showinfo",
      "-frames:v", "1", "-q:v", "3", "-y", "/t.jpg",
    ]);
  });
  it("decode mode: frames before the mark dropped in the graph by their timestamps", () => {
    expect(thumbnailArgs({ ...cmd, mode: "decode", skipBlack: true })).toEqual([
      "-f", "mpegts", "-i", "/in.ts", "-map", "0:1",
      "-vf", "trim=start=2.000:end=12.000,format=yuv420p,signalstats,metadata=mode=select:key=lavfi.signalstats.YAVG:value=24:function=greater,scale=1280:720:flags=bicubic,setsar=1,showinfo",
      "-frames:v", "1", "-q:v", "3", "-y", "/t.jpg",
    ]);
    expect(thumbnailArgs({ ...cmd, mode: "decode", skipBlack: false })[7]).toBe("trim=start=2.000,format=yuv420p,scale=1280:720:flags=bicubic,setsar=1,showinfo");
  });
  it("reads the time showinfo printed; seeks only in containers with an index", () => {
    expect(shownAt("[Parsed_showinfo_5 @ 0x1] n:   0 pts:  90000 pts_time:1.04    duration:3600")).toBe(1.04);
    expect(shownAt("nothing")).toBeNull();
    expect(["mov", "matroska", "avi"].every(seekable)).toBe(true);
    expect(["mpegts", "mpeg", "h264"].some(seekable)).toBe(false);
  });
});

describe("containers", () => {
  it("forces the first accepted name of ffprobe's format, and refuses the rest", () => {
    expect(demuxerFor("mov,mp4,m4a,3gp,3g2,mj2")).toBe("mov");
    expect(demuxerFor("matroska,webm")).toBe("matroska");
    expect(sourceFormatArgs("mpegts")).toEqual(["-f", "mpegts"]);
    for (const f of ["hls", "concat", "tty", "lavfi", "data", "dash", ""]) expect(() => demuxerFor(f), f).toThrow(/not one of the accepted/);
  });
  it("names one picture a still, and a moving picture or cover art with sound not", () => {
    expect(isStillImage("png_pipe", { codec_name: "png" })).toBe(true);
    expect(isStillImage("matroska,webm", { codec_name: "png", nb_frames: "1" })).toBe(true);
    expect(isStillImage("matroska,webm", { codec_name: "png", nb_frames: "48" })).toBe(false);
    expect(isStillImage("mov,mp4,m4a,3gp,3g2,mj2", { codec_name: "h264", nb_frames: "1" })).toBe(false);
  });
});

describe("the storyboard branch of the ladder", () => {
  const sb = { plan: { interval: 2, tiles: 30, columns: 10, rows: 3, tileWidth: 160, tileHeight: 90 }, tilesDir: "/tiles" };
  it("is one more output of the split: a PNG per tile, then one sheet of them", () => {
    const args = ladderArgs({ input: "/in.mp4", hlsDir: "/o", plan: { ...plan, deinterlace: false }, encoder: x264, segmentSeconds: 6, previewSeconds: 30, audio: null, base: [], storyboard: sb });
    const graph = args[args.indexOf("-filter_complex") + 1]!;
    expect(graph).toContain("split=3[s0][sp][ssb]");
    expect(graph).toContain("[ssb]select='eq((n+0)\\,0)+gt(floor((n+0)/50)\\,floor(((n+0)-1)/50))',scale=160:90:flags=bicubic,setsar=1[vsb]");
    expect(args.slice(-10)).toEqual(["-map", "[vsb]", "-c:v", "png", "-fps_mode", "passthrough", "-f", "image2", "-y", "/tiles/tile_%04d.png"]);
    expect(storyboardSheetArgs(sb.plan, "/tiles", "/sb.jpg", ["-hide_banner"])).toEqual([
      "-hide_banner", "-f", "image2", "-framerate", "1", "-i", "/tiles/tile_%04d.png", "-vf", "tile=10x3", "-frames:v", "1", "-q:v", "4", "-y", "/sb.jpg",
    ]);
  });
  it("brings only its few frames back from the GPU under NVENC", () => {
    const graph = ladderArgs({ input: "/in.mp4", hlsDir: "/o", plan: { ...plan, deinterlace: false }, encoder: nvenc, segmentSeconds: 6, previewSeconds: 30, audio: null, base: [], storyboard: sb });
    expect(graph[graph.indexOf("-filter_complex") + 1]).toContain(",hwdownload,format=nv12,scale=160:90");
  });
});
