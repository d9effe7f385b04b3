import { describe, expect, it } from "vitest";
import { planVideo, avcCodecs } from "../src/plan.ts";
import type { MediaInfo, VideoInfo } from "../src/probe.ts";

const ALL = ["1080p", "720p", "480p", "360p"] as const;
function info(v: Partial<VideoInfo>): MediaInfo {
  const video: VideoInfo = {
    stream: "0:0", codec: "h264", width: 1920, height: 1080, sar: 1, fieldOrder: "progressive", durationSeconds: 10, startSeconds: 0, displayWidth: 1920, displayHeight: 1080, rotation: 0, fps: 30, nominalFps: 30,
    variableFrameRate: false, pixFmt: "yuv420p", bitDepth: 8, colorTransfer: null, hdr: false, bitRate: null, ...v,
  };
  return { durationSeconds: 10, formatName: "mov,mp4", demuxer: "mov", video, audio: null, audioTracks: [], subtitleTracks: [] };
}
const sizes = (m: MediaInfo) => planVideo(m, [...ALL]).rungs.map((r) => `${r.name}:${r.width}x${r.height}`);

describe("ladder plan", () => {
  it("a 1080p source gets the full ladder", () => {
    expect(sizes(info({}))).toEqual(["1080p:1920x1080", "720p:1280x720", "480p:854x480", "360p:640x360"]);
  });
  it("skips rungs above the source and never upscales", () => {
    expect(sizes(info({ width: 640, height: 360, displayWidth: 640, displayHeight: 360 }))).toEqual(["360p:640x360"]);
    expect(sizes(info({ width: 1280, height: 720, displayWidth: 1280, displayHeight: 720 }))).toEqual(["720p:1280x720", "480p:854x480", "360p:640x360"]);
  });
  it("measures on the short side, so portrait keeps its rungs", () => {
    expect(sizes(info({ width: 1080, height: 1920, displayWidth: 1080, displayHeight: 1920 }))).toEqual([
      "1080p:1080x1920", "720p:720x1280", "480p:480x854", "360p:360x640",
    ]);
  });
  it("uses the displayed size of a rotated source", () => {
    expect(sizes(info({ width: 1280, height: 720, displayWidth: 720, displayHeight: 1280, rotation: 90 }))[0]).toBe("720p:720x1280");
  });
  it("keeps even sizes, never above an odd source", () => {
    expect(sizes(info({ width: 641, height: 361, displayWidth: 641, displayHeight: 361 }))).toEqual(["360p:640x360"]);
  });
  it("a source below 360p gets one rung at its own size with a scaled bitrate", () => {
    const plan = planVideo(info({ width: 320, height: 240, displayWidth: 320, displayHeight: 240 }), [...ALL]);
    expect(plan.rungs).toHaveLength(1);
    expect(plan.rungs[0]).toMatchObject({ name: "360p", width: 320, height: 240 });
    expect(plan.rungs[0]!.videoKbps).toBeLessThan(800);
  });
  it("never spends more than the source's bitrate allows", () => {
    const plan = planVideo(info({ bitRate: 2_000_000 }), [...ALL]);
    expect(plan.rungs.map((r) => r.videoKbps)).toEqual([2400, 2400, 1500, 800]);
  });
  it("2 s GOPs at a constant standard rate; 10-bit and HDR flagged for conversion", () => {
    const p = planVideo(info({ fps: 29.5, nominalFps: 29.97002997, variableFrameRate: true, pixFmt: "yuv420p10le", bitDepth: 10, hdr: true }), [...ALL]);
    expect(p).toMatchObject({ fps: 29.97, gop: 60, toEightBit: true, toneMap: true });
    expect(planVideo(info({ fps: 60 }), [...ALL]).gop).toBe(120);
  });
  it("writes exact avc1 CODECS strings", () => {
    expect(avcCodecs("4.0")).toBe("avc1.640028");
    expect(avcCodecs("3.1")).toBe("avc1.64001f");
    expect(avcCodecs("3.0")).toBe("avc1.64001e");
  });
});

describe("output frame rate", () => {
  it("keeps a constant source's rate, snapping near-standard rates", () => {
    expect(planVideo(info({ fps: 29.97, nominalFps: 29.97 }), [...ALL]).fps).toBe(29.97);
    expect(planVideo(info({ fps: 24.01, nominalFps: 24 }), [...ALL]).fps).toBe(24);
  });
  it("a variable-rate source takes its nominal rate; above 60 fps is capped", () => {
    expect(planVideo(info({ fps: 20.17, nominalFps: 30, variableFrameRate: true }), [...ALL]).fps).toBe(30);
    expect(planVideo(info({ fps: 120, nominalFps: 120 }), [...ALL]).fps).toBe(60);
  });
});
