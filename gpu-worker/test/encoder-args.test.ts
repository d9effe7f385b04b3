import { describe, expect, it } from "vitest";
import { nvenc } from "../src/encoders/nvenc.ts";
import { nvencProbeArgs } from "../src/encoders/detect.ts";
import { x264 } from "../src/encoders/x264.ts";
import { ladderArgs, soundArgs } from "../src/ladder-args.ts";
import type { VideoPlan } from "../src/plan.ts";

const plan: VideoPlan = {
  fps: 30,
  gop: 60,
  rotated: false,
  toneMap: false,
  toEightBit: false,
  rungs: [
    { name: "1080p", width: 1920, height: 1080, videoKbps: 5000, maxrateKbps: 7500, bufsizeKbps: 10000, level: "4.0" },
    { name: "360p", width: 640, height: 360, videoKbps: 800, maxrateKbps: 1200, bufsizeKbps: 1600, level: "3.0" },
  ],
};
const base = ["-hide_banner"];

/** Golden argument lists: a change to a flag must be a deliberate change to these. */
describe("libx264 arguments", () => {
  it("encodes a rung with aligned 2 s GOPs and capped VBV", () => {
    expect(x264.encodeArgs(plan.rungs[0]!, plan)).toEqual([
      "-c:v", "libx264", "-preset", "superfast", "-profile:v", "high", "-level:v", "4.0",
      "-b:v", "5000k", "-maxrate", "7500k", "-bufsize", "10000k",
      "-g", "60", "-keyint_min", "60", "-sc_threshold", "0", "-flags", "+cgop",
    ]);
    expect(x264.decodeArgs(plan)).toEqual([]);
    expect(x264.sourceFilters(plan)).toEqual(["fps=30", "format=yuv420p"]);
    expect(x264.scaleFilter(plan.rungs[1]!)).toBe("scale=640:360:flags=bicubic,setsar=1");
  });
  it("tone-maps HDR to 8-bit BT.709 before the split", () => {
    expect(x264.sourceFilters({ ...plan, toneMap: true, toEightBit: true })).toEqual([
      "fps=30", "zscale=t=linear:npl=100", "format=gbrpf32le", "zscale=p=bt709",
      "tonemap=tonemap=hable:desat=0", "zscale=t=bt709:m=bt709:r=tv", "format=yuv420p",
    ]);
  });
});

describe("h264_nvenc arguments", () => {
  it("keeps frames on the GPU for a plain 8-bit source", () => {
    expect(nvenc.decodeArgs(plan)).toEqual(["-hwaccel", "cuda", "-hwaccel_output_format", "cuda"]);
    expect(nvenc.sourceFilters(plan)).toEqual(["fps=30"]);
    expect(nvenc.scaleFilter(plan.rungs[0]!)).toBe("scale_cuda=w=1920:h=1080:format=yuv420p,setsar=1");
    expect(nvenc.encodeArgs(plan.rungs[0]!, plan)).toEqual([
      "-c:v", "h264_nvenc", "-preset", "p5", "-tune", "hq", "-profile:v", "high", "-level:v", "4.0",
      "-rc", "vbr", "-b:v", "5000k", "-maxrate", "7500k", "-bufsize", "10000k",
      "-g", "60", "-forced-idr", "1", "-no-scenecut", "1", "-spatial-aq", "1", "-rc-lookahead", "20", "-bf", "3",
    ]);
  });
  it("prepares rotated, 10-bit or HDR sources on the CPU and uploads once", () => {
    for (const p of [{ ...plan, rotated: true }, { ...plan, toEightBit: true }, { ...plan, toneMap: true }]) {
      expect(nvenc.decodeArgs(p)).toEqual([]);
      expect(nvenc.sourceFilters(p).at(-1)).toBe("hwupload_cuda");
    }
  });
  it("detects NVENC with one real encode of a synthetic frame", () => {
    expect(nvencProbeArgs()).toEqual([
      "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "color=c=black:s=256x256:d=0.1",
      "-frames:v", "1", "-c:v", "h264_nvenc", "-f", "null", "-",
    ]);
  });
});

describe("the one-process ladder", () => {
  const cmd = (encoder = x264, audio: { filter: string | null } | null = { filter: "volume=2.00dB" }) =>
    ladderArgs({ input: "/in.mp4", hlsDir: "/o", plan, encoder, segmentSeconds: 6, previewSeconds: 30, audio, base });

  it("decodes once, splits into every rung and the preview, and shares one audio encode", () => {
    const args = cmd();
    expect(args.filter((a) => a === "-i")).toHaveLength(1);
    const graph = args[args.indexOf("-filter_complex") + 1];
    expect(graph).toBe(
      "[0:v:0]fps=30,format=yuv420p,split=3[s0][s1][sp];" +
        "[s0]scale=1920:1080:flags=bicubic,setsar=1[v0];[s1]scale=640:360:flags=bicubic,setsar=1[v1];" +
        "[sp]trim=duration=30,setpts=PTS-STARTPTS,scale=640:360:flags=bicubic,setsar=1[vp];" +
        "[0:a:0]volume=2.00dB,aresample=48000,aformat=sample_rates=48000:channel_layouts=stereo,asplit=2[a][ap0];" +
        "[ap0]atrim=duration=30,asetpts=PTS-STARTPTS[ap]",
    );
    expect(args.filter((a) => a === "aac")).toHaveLength(2); // the shared group and the preview
    expect(args).toContain("/o/1080p/index.m3u8");
    expect(args).toContain("/o/audio/index.m3u8");
    expect(args.at(-1)).toBe("/o/preview/preview.m3u8");
  });
  it("puts each rung's and the preview's first picture at the segment's zero (setts after the encoder)", () => {
    for (const encoder of [x264, nvenc]) {
      const args = cmd(encoder);
      const at = args.flatMap((a, i) => (a === "-bsf:v" ? [i] : []));
      expect(at).toHaveLength(plan.rungs.length + 1);
      for (const i of at) expect(args[i + 1]).toBe("setts=pts=PTS:dts=if(lt(N\\,8)\\,max(DTS\\,STARTPTS+N)\\,DTS)");
    }
  });
  it("splits a fan-out's whole-file job: the preview reads only its seconds, the sound decodes no picture", () => {
    const preview = ladderArgs({ input: "/in.mp4", hlsDir: "/o", plan, encoder: x264, segmentSeconds: 6, previewSeconds: 30, audio: { filter: "volume=2.00dB" }, base, rungs: false });
    expect(preview.slice(preview.indexOf("-i") - 2, preview.indexOf("-i") + 2)).toEqual(["-t", "30", "-i", "/in.mp4"]);
    expect(preview).not.toContain("/o/1080p/index.m3u8");
    expect(preview).not.toContain("/o/audio/index.m3u8");
    expect(preview.at(-1)).toBe("/o/preview/preview.m3u8");
    expect(preview[preview.indexOf("-filter_complex") + 1]).toContain("atrim=duration=30,asetpts=PTS-STARTPTS[ap]");
    const sound = soundArgs({ input: "/in.mp4", hlsDir: "/o", plan, encoder: x264, segmentSeconds: 6, previewSeconds: 30, audio: { filter: "volume=2.00dB", alternates: [{ stream: "0:2", filter: null }] }, base })!;
    expect(sound[sound.indexOf("-filter_complex") + 1]).toBe(
      "[0:a:0]volume=2.00dB,aresample=48000,aformat=sample_rates=48000:channel_layouts=stereo[a];[0:2]aresample=48000,aformat=sample_rates=48000:channel_layouts=stereo[alt0]",
    );
    expect(sound.filter((a) => a === "-map")).toHaveLength(2);
    expect(sound.join(" ")).not.toMatch(/0:v|libx264/);
    expect(soundArgs({ input: "/in.mp4", hlsDir: "/o", plan, encoder: x264, segmentSeconds: 6, previewSeconds: 30, audio: null, base })).toBeNull();
  });
  it("has no audio branch for a silent source", () => {
    const args = cmd(x264, null);
    expect(args.join(" ")).not.toContain("[0:a:0]");
    expect(args).not.toContain("aac");
  });
  it("puts the CUDA decode flags before the input for NVENC", () => {
    const args = cmd(nvenc);
    expect(args.slice(args.indexOf("-i") - 4, args.indexOf("-i"))).toEqual(["-hwaccel", "cuda", "-hwaccel_output_format", "cuda"]);
    expect(args.join(" ")).toContain("scale_cuda=w=1920:h=1080");
  });
});
