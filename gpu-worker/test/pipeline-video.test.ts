import { readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { ffprobeJson, firstFrameIsKey, fixture, mediaPlaylist, transcode } from "./support.ts";

describe("video job on a 1080p clip with sound", async () => {
  const r = await transcode(fixture("hd.mp4"));
  const hls = dirname(r.path(r.output.hlsMasterKey));
  const master = readFileSync(r.path(r.output.hlsMasterKey), "utf8");

  it("reports the callback's output shape", () => {
    expect(r.output).toMatchObject({
      mediaType: "video", width: 1920, height: 1080, encoder: "libx264",
      readyVariants: ["1080p", "720p", "480p", "360p"], waveformKey: null, waveformImageKey: null,
    });
    expect(r.output.durationSeconds).toBeCloseTo(7, 1);
    expect(r.output.loudness!.integrated).toBeLessThan(0);
    expect(r.files.every((f) => statSync(f.path).size > 0)).toBe(true);
  });

  it("writes every rung at its size, H.264 High, with the duration of the source", () => {
    for (const [name, w, h] of [["1080p", 1920, 1080], ["720p", 1280, 720], ["480p", 854, 480], ["360p", 640, 360]] as const) {
      const segs = mediaPlaylist(join(hls, name, "index.m3u8"));
      const total = segs.reduce((s, x) => s + x.duration, 0);
      expect(total).toBeCloseTo(7, 0);
      const v = ffprobeJson(join(hls, name, segs[0]!.uri)).streams.find((s: any) => s.codec_type === "video");
      expect(v).toMatchObject({ codec_name: "h264", profile: "High", width: w, height: h });
      // No audio muxed into video rungs: it lives in the shared group.
      expect(ffprobeJson(join(hls, name, segs[0]!.uri)).streams).toHaveLength(1);
    }
  });

  it("starts every segment with a keyframe and keeps segments ≤ 6.5 s", () => {
    for (const name of ["1080p", "360p", "preview"]) {
      const playlist = name === "preview" ? "preview.m3u8" : "index.m3u8";
      for (const seg of mediaPlaylist(join(hls, name, playlist))) {
        expect(seg.duration).toBeLessThanOrEqual(6.5);
        expect(firstFrameIsKey(join(hls, name, seg.uri))).toBe(true);
      }
    }
  });

  it("encodes the audio once as AAC at 48 kHz stereo", () => {
    const seg = mediaPlaylist(join(hls, "audio/index.m3u8"))[0]!;
    const a = ffprobeJson(join(hls, "audio", seg.uri)).streams[0];
    expect(a).toMatchObject({ codec_type: "audio", codec_name: "aac", sample_rate: "48000", channels: 2 });
  });

  it("writes a master with every attribute, BANDWIDTH covering video plus audio", () => {
    const variants = master.split("\n").filter((l) => l.startsWith("#EXT-X-STREAM-INF:"));
    expect(variants).toHaveLength(4);
    expect(master).toContain("#EXT-X-INDEPENDENT-SEGMENTS");
    const audioBytes = mediaPlaylist(join(hls, "audio/index.m3u8")).reduce((s, x) => s + statSync(join(hls, "audio", x.uri)).size, 0);
    for (const line of variants) {
      for (const attr of ["BANDWIDTH=", "AVERAGE-BANDWIDTH=", "RESOLUTION=", 'CODECS="avc1.', "FRAME-RATE=30.000", 'AUDIO="aud"']) expect(line).toContain(attr);
      const name = master.split("\n")[master.split("\n").indexOf(line) + 1]!.split("/")[0]!;
      const videoBytes = mediaPlaylist(join(hls, name, "index.m3u8")).reduce((s, x) => s + statSync(join(hls, name, x.uri)).size, 0);
      const average = Number(/AVERAGE-BANDWIDTH=(\d+)/.exec(line)![1]);
      const peak = Number(/[:,]BANDWIDTH=(\d+)/.exec(line)![1]);
      expect(average).toBeGreaterThanOrEqual(Math.floor(((videoBytes + audioBytes) * 8) / 7.1));
      expect(peak).toBeGreaterThanOrEqual(average);
    }
  });

  it("makes a preview at the middle rung, no larger than the source", () => {
    const segs = mediaPlaylist(r.path(r.output.hlsPreviewKey!));
    const streams = ffprobeJson(join(dirname(r.path(r.output.hlsPreviewKey!)), segs[0]!.uri)).streams;
    expect(streams.find((s: any) => s.codec_type === "video")).toMatchObject({ width: 854, height: 480 });
    expect(streams.find((s: any) => s.codec_type === "audio")).toBeTruthy();
  });

  it("makes a JPEG thumbnail and a faststart mezzanine remuxed from the H.264/AAC source", () => {
    const thumb = ffprobeJson(r.path(r.output.thumbnailKey!)).streams[0];
    expect(thumb).toMatchObject({ codec_name: "mjpeg", width: 1280, height: 720 });
    const mezz = r.path(r.output.mezzanineKey!);
    const info = ffprobeJson(mezz);
    expect(info.streams.map((s: any) => s.codec_name).sort()).toEqual(["aac", "h264"]);
    expect(info.streams.find((s: any) => s.codec_type === "video").width).toBe(1920);
    // faststart: the moov box comes before mdat.
    const head = readFileSync(mezz).subarray(0, 4096).toString("latin1");
    expect(head.indexOf("moov")).toBeGreaterThan(0);
    expect(head.indexOf("moov")).toBeLessThan(head.indexOf("mdat") === -1 ? Infinity : head.indexOf("mdat"));
  });

  it("normalises the outputs' audio to −16 LUFS (linear gain: this source allows it)", async () => {
    const { spawnSync } = await import("node:child_process");
    const { parseEbur128Summary } = await import("../src/loudness.ts");
    const audio = join(hls, "audio/index.m3u8");
    const run = spawnSync("ffmpeg", ["-hide_banner", "-nostdin", "-i", audio, "-af", "ebur128=peak=true", "-f", "null", "-"], { encoding: "utf8" });
    const measured = parseEbur128Summary(run.stderr)!;
    expect(measured.integrated).toBeGreaterThan(-17);
    expect(measured.integrated).toBeLessThan(-15);
    expect(measured.truePeak).toBeLessThanOrEqual(-1.0);
  });
});
