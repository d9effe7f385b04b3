import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { audioChunkArgs, audioChunks } from "../src/audio-args.ts";
import { ffprobeJson, fixture, mediaPlaylist, transcode } from "./support.ts";

/** Decodes an HLS playlist to mono float samples at 48 kHz. */
function decode(playlist: string): Float32Array {
  const buf = execFileSync("ffmpeg", ["-v", "error", "-i", playlist, "-ac", "1", "-ar", "48000", "-f", "f32le", "-"], { maxBuffer: 64 << 20 });
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
}

describe("audio encoded in parallel chunks", () => {
  it("splits on 24 s boundaries, one chunk per core, short media in one piece", () => {
    expect(audioChunks(3600, 2)).toEqual([{ start: 0, length: 1800 }, { start: 1800, length: null }]);
    expect(audioChunks(3600, 4).map((c) => c.start)).toEqual([0, 912, 1800, 2712]);
    expect(audioChunks(3600, 4).every((c) => c.start % 24 === 0)).toBe(true);
    expect(audioChunks(400, 8)).toEqual([{ start: 0, length: null }]);
    expect(audioChunks(3600, 1)).toEqual([{ start: 0, length: null }]);
  });

  it("a middle chunk has 8 frames of pre-roll and 1 of post-roll and keeps only its own packets", () => {
    // 1800 s = 84375 frames: packets 9..84383 are the chunk's frames (0 priming, 1–8 pre-roll).
    expect(audioChunkArgs({ input: "in.m4a", output: "p1.aac", chunk: { start: 1800, length: 1800 }, gainFilter: "volume=-3.00dB", base: [] })).toEqual([
      "-ss", "1799.829333", "-i", "in.m4a", "-map", "0:a:0",
      "-af", "volume=-3.00dB,aresample=48000,aformat=sample_rates=48000:channel_layouts=stereo",
      "-t", "1800.192000", "-progress", "pipe:1", "-nostats",
      "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2",
      "-bsf:a", "noise=drop=lt(n\\,9)+gt(n\\,84383)", "-f", "adts", "-y", "p1.aac",
    ]);
  });

  it("the first chunk keeps its priming, the last one runs to the end", () => {
    const first = audioChunkArgs({ input: "in.m4a", output: "p0.aac", chunk: { start: 0, length: 24 }, gainFilter: null, base: [] });
    expect(first).not.toContain("-ss");
    expect(first.slice(first.indexOf("-t"), first.indexOf("-t") + 2)).toEqual(["-t", "24.021333"]);
    expect(first).toContain("noise=drop=gt(n\\,1125)");
    const last = audioChunkArgs({ input: "in.m4a", output: "p2.aac", chunk: { start: 48, length: null }, gainFilter: null, base: [] });
    expect(last).not.toContain("-t");
    expect(last).toContain("noise=drop=lt(n\\,9)");
  });

  it("the joined stream matches a one-process encode: same length, no click or gap at the join", async () => {
    const input = fixture("tone-50s.flac");
    const chunked = await transcode(input, { mediaType: "audio", archive: false, cores: 2, audioChunkMinSeconds: 20 });
    const whole = await transcode(input, { mediaType: "audio", archive: false, cores: 1 });
    const playlist = (r: typeof chunked) => join(dirname(r.path(r.output.hlsMasterKey)), "audio/index.m3u8");
    const a = decode(playlist(chunked));
    const b = decode(playlist(whole));
    expect(Math.abs(a.length - b.length)).toBeLessThanOrEqual(1024);
    expect(a.length / 48000).toBeCloseTo(50, 0);

    // Error per 1024-sample window between the two encodes: coding noise everywhere, and a
    // misplaced, missing or repeated frame at the join would stand out by orders of magnitude.
    const windows: number[] = [];
    for (let w = 0; (w + 1) * 1024 <= Math.min(a.length, b.length); w++) {
      let e = 0;
      for (let i = w * 1024; i < (w + 1) * 1024; i++) e += (a[i]! - b[i]!) ** 2;
      windows.push(e / 1024);
    }
    const join24 = Math.floor((24 * 48000) / 1024);
    const atJoin = Math.max(...windows.slice(join24 - 2, join24 + 3));
    const typical = [...windows].sort((x, y) => x - y)[Math.floor(windows.length / 2)]!;
    let signal = 0;
    for (let i = 0; i < b.length; i++) signal += b[i]! ** 2;
    signal /= b.length;
    expect(10 * Math.log10(signal / Math.max(...windows))).toBeGreaterThan(30); // ≥ 30 dB everywhere
    expect(atJoin).toBeLessThan(Math.max(typical * 20, signal * 1e-4));

    // Segments keep the 6 s grid across the join, and the preview is 30 s.
    const segs = mediaPlaylist(playlist(chunked));
    expect(segs.slice(0, -1).every((s) => Math.abs(s.duration - 6) < 0.05)).toBe(true);
    const preview = join(dirname(chunked.path(chunked.output.hlsMasterKey)), "preview/preview.m3u8");
    expect(mediaPlaylist(preview).reduce((t, s) => t + s.duration, 0)).toBeCloseTo(30, 0);
    expect(ffprobeJson(join(dirname(playlist(chunked)), segs[4]!.uri)).streams[0]).toMatchObject({ codec_name: "aac", sample_rate: "48000", channels: 2 });
  });
});
