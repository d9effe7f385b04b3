import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { ffprobeJson, fixture, mediaPlaylist, transcode } from "./support.ts";

describe("audio job", async () => {
  const r = await transcode(fixture("voice.m4a"), { mediaType: "audio" });

  it("reports audio outputs and nulls for what does not apply", () => {
    expect(r.output).toMatchObject({ mediaType: "audio", readyVariants: ["audio"], width: null, height: null, thumbnailKey: null, encoder: null });
    expect(r.output.waveformKey).toMatch(/\/waveforms\/.+\/waveform\.json$/);
    // A 0.5 sine upmixed to stereo (−3 dB per channel): peaks at 0.354, about −9 dBTP.
    expect(r.output.loudness!.integrated).toBeGreaterThan(-11);
    expect(r.output.loudness!.integrated).toBeLessThan(-7);
    expect(Math.abs(r.output.loudness!.truePeak - -9)).toBeLessThan(0.6);
  });

  it("writes audio-only HLS at 128 kbps AAC 48 kHz and a 30 s-capped preview", () => {
    const hls = dirname(r.path(r.output.hlsMasterKey));
    const master = readFileSync(r.path(r.output.hlsMasterKey), "utf8");
    expect(master).toMatch(/BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,CODECS="mp4a.40.2"/);
    const segs = mediaPlaylist(join(hls, "audio/index.m3u8"));
    expect(segs.reduce((s, x) => s + x.duration, 0)).toBeCloseTo(12, 0);
    const a = ffprobeJson(join(hls, "audio", segs[0]!.uri)).streams[0];
    expect(a).toMatchObject({ codec_name: "aac", sample_rate: "48000", channels: 2 });
    const avg = Number(/AVERAGE-BANDWIDTH=(\d+)/.exec(master)![1]);
    expect(avg).toBeGreaterThan(100_000);
    expect(avg).toBeLessThan(180_000);
    const preview = mediaPlaylist(r.path(r.output.hlsPreviewKey!));
    expect(preview.reduce((s, x) => s + x.duration, 0)).toBeLessThanOrEqual(12.1);
  });

  it("writes waveform data in audiowaveform's JSON v2 format from the decoded PCM", () => {
    const w = JSON.parse(readFileSync(r.path(r.output.waveformKey!), "utf8"));
    expect(w).toMatchObject({ version: 2, channels: 1, sample_rate: 48000, bits: 8 });
    expect(w.data).toHaveLength(w.length * 2);
    // 12 s of PCM, give or take the AAC encoder's padding (a few ms).
    expect(Math.abs(w.length - (12 * 48000) / w.samples_per_pixel)).toBeLessThan(3);
    // The fixture peaks at 0.354 of full scale: ±45 in 8 bits (AAC may overshoot a little).
    const max = Math.max(...w.data);
    const min = Math.min(...w.data);
    expect(max).toBeGreaterThanOrEqual(42);
    expect(max).toBeLessThanOrEqual(48);
    expect(min).toBeLessThanOrEqual(-42);
  });

  it("draws a PNG waveform image", () => {
    const png = ffprobeJson(r.path(r.output.waveformImageKey!)).streams[0];
    expect(png).toMatchObject({ codec_name: "png", width: 1800, height: 280 });
  });

  it("archives the AAC original by remuxing it", () => {
    expect(ffprobeJson(r.path(r.output.mezzanineKey!)).streams.map((s: any) => s.codec_name)).toEqual(["aac"]);
  });
});
