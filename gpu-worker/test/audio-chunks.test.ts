import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { audioChunkArgs, audioChunks, chunkable, chunksFor, leadSeconds } from "../src/audio-args.ts";
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

  it("a middle chunk seeks a whole second early, keeps 8 frames of pre-roll and 1 of post-roll at 48 kHz, and only its own packets", () => {
    // Decoded from 1799 s; at 48 kHz 48000 − 8192 lead-in samples go, then 8192 pre-roll +
    // 86 400 000 chunk + 1024 post-roll samples are encoded. 1800 s = 84375 frames: packets
    // 9..84383 are the chunk's frames (0 priming, 1–8 pre-roll).
    expect(audioChunkArgs({ input: "in.m4a", output: "p1.aac", chunk: { start: 1800, length: 1800 }, gainFilter: "volume=-3.00dB", gainMode: "linear", base: [] })).toEqual([
      "-ss", "1799", "-i", "in.m4a", "-map", "0:a:0",
      "-af", "volume=-3.00dB,aresample=48000,aformat=sample_rates=48000:channel_layouts=stereo,atrim=start_sample=39808:end_sample=86449024",
      "-progress", "pipe:1", "-nostats",
      "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2",
      "-bsf:a", "noise=drop=lt(n\\,9)+gt(n\\,84383)", "-f", "adts", "-y", "p1.aac",
    ]);
  });

  it("the first chunk keeps its priming, the last one runs to the end", () => {
    const first = audioChunkArgs({ input: "in.m4a", output: "p0.aac", chunk: { start: 0, length: 24 }, gainFilter: null, gainMode: "none", base: [] });
    expect(first).not.toContain("-ss");
    expect(first[first.indexOf("-af") + 1]).toBe("aresample=48000,aformat=sample_rates=48000:channel_layouts=stereo,atrim=end_sample=1153024");
    expect(first).toContain("noise=drop=gt(n\\,1125)");
    const last = audioChunkArgs({ input: "in.m4a", output: "p2.aac", chunk: { start: 48, length: null }, gainFilter: null, gainMode: "none", base: [] });
    expect(last.slice(0, 2)).toEqual(["-ss", "47"]);
    expect(last[last.indexOf("-af") + 1]).toMatch(/,atrim=start_sample=39808$/);
    expect(last).toContain("noise=drop=lt(n\\,9)");
  });

  it("chunks only containers that seek to the exact sample", () => {
    for (const f of ["mov,mp4,m4a,3gp,3g2,mj2", "flac", "mp3", "wav", "ogg", "aiff"]) expect(chunkable(f), f).toBe(true);
    for (const f of ["matroska,webm", "aac", "ac3", "mpegts"]) expect(chunkable(f), f).toBe(false);
  });

  it("encodes in one piece where a chunk could not seek exactly", () => {
    const hour = { durationSeconds: 3600, cores: 2 };
    expect(chunksFor({ ...hour, formatName: "mov,mp4,m4a,3gp,3g2,mj2" })).toHaveLength(2);
    expect(chunksFor({ ...hour, formatName: "flac" })).toHaveLength(2);
    expect(chunksFor({ ...hour, formatName: "matroska,webm" })).toEqual([{ start: 0, length: null }]);
  });

  it("runs a dynamic normaliser in over 30 s before a chunk, never before the file's start", () => {
    const args = audioChunkArgs({ input: "in.flac", output: "p1.aac", chunk: { start: 1800, length: null }, gainFilter: "loudnorm=I=-16", gainMode: "dynamic", base: [] });
    expect(args.slice(0, 2)).toEqual(["-ss", "1770"]);
    expect(args[args.indexOf("-af") + 1]).toMatch(/^loudnorm=I=-16,.*atrim=start_sample=1431808$/); // 30 × 48000 − 8192
    expect(leadSeconds(24, "dynamic")).toBe(24);
    expect(leadSeconds(24, "linear")).toBe(1);
    expect(leadSeconds(0, "dynamic")).toBe(0);
  });

  it("the joined stream matches a one-process encode: same length, no click or gap at the join", async () => {
    const { chunked, playlist, windows, signal } = await compareWithOneProcess("tone-50s.flac");
    const join24 = Math.floor((24 * 48000) / 1024);
    const atJoin = Math.max(...windows.slice(join24 - 2, join24 + 3));
    const typical = [...windows].sort((x, y) => x - y)[Math.floor(windows.length / 2)]!;
    expect(10 * Math.log10(signal / Math.max(...windows))).toBeGreaterThan(30); // ≥ 30 dB everywhere
    expect(atJoin).toBeLessThan(Math.max(typical * 20, signal * 1e-4));

    // Segments keep the 6 s grid across the join, and the preview is 30 s.
    const segs = mediaPlaylist(playlist(chunked));
    expect(segs.slice(0, -1).every((s) => Math.abs(s.duration - 6) < 0.05)).toBe(true);
    const preview = join(dirname(chunked.path(chunked.output.hlsMasterKey)), "preview/preview.m3u8");
    expect(mediaPlaylist(preview).reduce((t, s) => t + s.duration, 0)).toBeCloseTo(30, 0);
    expect(ffprobeJson(join(dirname(playlist(chunked)), segs[4]!.uri)).streams[0]).toMatchObject({ codec_name: "aac", sample_rate: "48000", channels: 2 });
  });

  it("dynamic normalisation: the second chunk's loudnorm, run in from 30 s earlier, stays within 0.5 dB of one process", async () => {
    const { chunked, a, b, windows, signal } = await compareWithOneProcess("peaky-80s.flac", 80);
    // The fixture needs the dynamic mode: linear gain would put its peaks above the ceiling.
    const measured = chunked.output.loudness!;
    expect(measured.truePeak + (-16 - measured.integrated)).toBeGreaterThan(-1.5);
    // Level per 100 ms, chunked against one process (chunks: 0–48 s and 48–80 s).
    const W = 4800;
    let worst = 0;
    for (let w = 0; (w + 1) * W <= Math.min(a.length, b.length); w++) {
      let ea = 0;
      let eb = 0;
      for (let i = w * W; i < (w + 1) * W; i++) {
        ea += a[i]! ** 2;
        eb += b[i]! ** 2;
      }
      worst = Math.max(worst, Math.abs(10 * Math.log10(ea / eb)));
    }
    expect(worst).toBeLessThan(0.5);
    // Lined up, and no click at the join. The noise in this fixture is coded differently by any
    // two encodes that differ at all (perceptual noise substitution), so the second chunk is
    // compared with itself: median ≈ 17 dB against one process (a shifted chunk: about 0), and
    // the join no worse than its worst 1 %.
    const snr = (e: number) => 10 * Math.log10(signal / e);
    const join48 = Math.floor((48 * 48000) / 1024);
    const second = windows.slice(join48 + 3).sort((x, y) => x - y);
    expect(snr(second[second.length >> 1]!)).toBeGreaterThan(12);
    expect(snr(Math.max(...windows.slice(join48 - 2, join48 + 3)))).toBeGreaterThan(snr(second[Math.floor(second.length * 0.99)]!) - 3);
  });

  it("a 44.1 kHz input: the second chunk lines up with the first to the 48 kHz sample", async () => {
    const { windows, signal } = await compareWithOneProcess("sweep-50s-44k.flac");
    const snr = (e: number) => 10 * Math.log10(signal / e);
    const after = windows.slice(Math.ceil((24 * 48000) / 1024) + 8).sort((x, y) => y - x);
    // Past the join the encoder settles close to a one-process encode (median ≈ 43 dB, many
    // windows bit-identical); seeking straight to the pre-roll, a fraction of a 44.1 kHz sample
    // off, left the second half at 10–20 dB.
    expect(snr(after[Math.floor(after.length / 2)]!)).toBeGreaterThan(30);
    expect(snr(Math.max(...windows))).toBeGreaterThan(20);
  });
});

/** Encodes `name` in two chunks and in one process; the error between them per 1024-sample window. */
async function compareWithOneProcess(name: string, seconds = 50) {
  const input = fixture(name);
  const chunked = await transcode(input, { mediaType: "audio", archive: false, cores: 2, audioChunkMinSeconds: 20 });
  const whole = await transcode(input, { mediaType: "audio", archive: false, cores: 1 });
  const playlist = (r: typeof chunked) => join(dirname(r.path(r.output.hlsMasterKey)), "audio/index.m3u8");
  const a = decode(playlist(chunked));
  const b = decode(playlist(whole));
  expect(Math.abs(a.length - b.length)).toBeLessThanOrEqual(1024);
  expect(a.length / 48000).toBeCloseTo(seconds, 0);
  // Coding noise everywhere; a misplaced, missing or repeated frame at the join would stand out by
  // orders of magnitude.
  const windows: number[] = [];
  for (let w = 0; (w + 1) * 1024 <= Math.min(a.length, b.length); w++) {
    let e = 0;
    for (let i = w * 1024; i < (w + 1) * 1024; i++) e += (a[i]! - b[i]!) ** 2;
    windows.push(e / 1024);
  }
  let signal = 0;
  for (let i = 0; i < b.length; i++) signal += b[i]! ** 2;
  return { chunked, whole, playlist, windows, signal: signal / b.length, a, b };
}
