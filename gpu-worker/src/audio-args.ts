import { aacArgs, chain, hlsOutputArgs, STEREO_48K } from "./hls-args.ts";

/** Waveform image size: wide enough for a desktop player bar. */
export const WAVEFORM_IMAGE = { width: 1800, height: 280 } as const;
/** Mono PCM rate the waveform data is computed from, so samples_per_pixel means the same for every file. */
export const WAVEFORM_SAMPLE_RATE = 48000;

/** Audio pass 2, one decode: the normalised audio HLS and its preview. */
export function audioHlsArgs(cmd: { input: string; hlsDir: string; gainFilter: string | null; segmentSeconds: number; previewSeconds: number; base: string[]; stream?: string }): string[] {
  const graph = [
    `[${cmd.stream ?? "0:a:0"}]${chain([cmd.gainFilter, ...STEREO_48K], "anull")},asplit=2[a][p0]`,
    `[p0]atrim=duration=${cmd.previewSeconds},asetpts=PTS-STARTPTS[p]`,
  ].join(";");
  return [
    ...cmd.base,
    "-i", cmd.input,
    "-filter_complex", graph,
    "-progress", "pipe:1",
    "-nostats",
    "-map", "[a]", ...aacArgs(128), ...hlsOutputArgs(`${cmd.hlsDir}/audio`, "index.m3u8", cmd.segmentSeconds),
    "-map", "[p]", ...aacArgs(128), ...hlsOutputArgs(`${cmd.hlsDir}/preview`, "preview.m3u8", cmd.segmentSeconds),
  ];
}

/** One AAC-LC frame at 48 kHz. */
export const AAC_FRAME_SECONDS = 1024 / 48000;
/** Output sample rate of every audio rendition. */
const RATE = 48000;
/**
 * Chunk boundaries fall on multiples of 24 s: a whole number of 6 s segments and of AAC frames
 * (24 s = 1125 frames of 1024 samples at 48 kHz), so joined chunks keep every frame's timing.
 */
export const CHUNK_GRID_SECONDS = 24;
/** Frames encoded before a chunk's start and dropped. */
export const PREROLL_FRAMES = 8;
/**
 * A chunk after the first is decoded from this many whole seconds before its pre-roll. A whole
 * second is a whole number of samples at any input rate, so the resampler to 48 kHz runs in the
 * same phase as in a decode from the start; seeking straight to the pre-roll (a fraction of a
 * 44.1 kHz sample) shifted a chunk of a 44.1 kHz input against the one before it.
 */
export const LEAD_SECONDS = 1;
/**
 * The lead-in under dynamic normalisation: loudnorm's gain follows the last seconds of programme,
 * so a chunk's loudnorm is run in over real audio before the chunk starts. Measured on speech
 * with peaks, chunk against one process: 3 s left 2.8 dB at the join, 10 s 0.6 dB, 30 s 0.06 dB
 * at the join and under 0.3 dB after it.
 */
export const DYNAMIC_LEAD_SECONDS = 30;

type GainMode = "none" | "linear" | "dynamic";

/** Whole seconds decoded before a chunk's pre-roll (a whole-second seek; never before the start of the file). */
export function leadSeconds(start: number, gainMode: GainMode): number {
  if (start <= 0) return 0;
  return Math.min(start, gainMode === "dynamic" ? DYNAMIC_LEAD_SECONDS : LEAD_SECONDS);
}

export interface AudioChunk {
  start: number;
  /** null: to the end of the input. */
  length: number | null;
}

/**
 * Containers whose seeking FFmpeg lands on the exact sample, so that a chunk decoded from a seek
 * lines up with the one before it (measured: a 44.1 kHz sweep in each, chunked against one
 * process). Matroska/WebM is not one of them (its chunks landed thousands of samples off), nor
 * are raw streams without an index (ADTS, AC-3).
 */
export function chunkable(formatName: string): boolean {
  return formatName.split(",").some((f) => ["mov", "mp4", "m4a", "flac", "mp3", "wav", "ogg", "aiff"].includes(f));
}

/**
 * Splits a long encode into one chunk per core (FFmpeg's AAC encoder is single-threaded); media
 * shorter than two chunks of `minChunkSeconds` stays in one piece.
 */
export function audioChunks(durationSeconds: number, cores: number, minChunkSeconds = 300): AudioChunk[] {
  const n = Math.max(1, Math.min(cores, Math.floor(durationSeconds / minChunkSeconds)));
  const starts = [0];
  for (let k = 1; k < n; k++) {
    const s = Math.round((k * durationSeconds) / n / CHUNK_GRID_SECONDS) * CHUNK_GRID_SECONDS;
    if (s > starts.at(-1)! && s < durationSeconds) starts.push(s);
  }
  return starts.map((start, i) => ({ start, length: i + 1 < starts.length ? starts[i + 1]! - start : null }));
}

/** The chunks of the audio passes (analysis, encode): several only where a chunk can seek exactly; one otherwise. */
export function chunksFor(a: { formatName: string; durationSeconds: number; cores: number; minChunkSeconds?: number }): AudioChunk[] {
  if (!chunkable(a.formatName)) return [{ start: 0, length: null }];
  return audioChunks(a.durationSeconds, a.cores, a.minChunkSeconds);
}

/**
 * One chunk of the normalised audio as raw AAC (ADTS). An AAC frame is decoded by overlapping two
 * packets whose transforms each span two frames, so at a join both sides must have been encoded
 * from real audio: a chunk ends one frame late (post-roll) and starts PREROLL_FRAMES early (one
 * would do for the transform; more lets the encoder's rate control settle before the frames that
 * are kept), and the packets of those frames and the encoder's priming packet are dropped. Chunks
 * then join sample-exactly and without a click (test: audio-chunks.test.ts).
 *
 * A dynamic normaliser (loudnorm) starting afresh would change level at the join: under one, the
 * lead-in is long enough for its gain to settle (DYNAMIC_LEAD_SECONDS).
 */
export function audioChunkArgs(cmd: { input: string; output: string; chunk: AudioChunk; gainFilter: string | null; gainMode: GainMode; base: string[]; stream?: string }): string[] {
  const { start, length } = cmd.chunk;
  const pre = start > 0 ? PREROLL_FRAMES * 1024 : 0;
  const post = length !== null ? 1024 : 0;
  const leadIn = leadSeconds(start, cmd.gainMode);
  // Samples at 48 kHz: skipped lead-in, then what is encoded (pre-roll, the chunk, post-roll).
  const lead = start > 0 ? leadIn * RATE - pre : 0;
  const encoded = length !== null ? pre + Math.round(length * RATE) + post : null;
  const trim = [lead > 0 ? `start_sample=${lead}` : null, encoded !== null ? `end_sample=${lead + encoded}` : null].filter(Boolean).join(":");
  // Packet n decodes to frame n-1 (packet 0 is the priming): keep the chunk's own frames only.
  const drop: string[] = [];
  const skip = start > 0 ? PREROLL_FRAMES : 0;
  if (start > 0) drop.push(`lt(n\\,${skip + 1})`);
  if (length !== null) drop.push(`gt(n\\,${Math.round(length / AAC_FRAME_SECONDS) + skip})`);
  return [
    ...cmd.base,
    // Input seek to a whole second: exact in the containers we chunk (see chunkable()).
    ...(start > 0 ? ["-ss", String(start - leadIn)] : []),
    "-i", cmd.input,
    "-map", cmd.stream ?? "0:a:0",
    // Trimmed at 48 kHz, to the sample: the lead-in goes, the pre-roll stays.
    "-af", chain([cmd.gainFilter, ...STEREO_48K, trim ? `atrim=${trim}` : null], "anull"),
    "-progress", "pipe:1",
    "-nostats",
    ...aacArgs(128),
    // Drops the priming, pre-roll and post-roll packets.
    ...(drop.length ? ["-bsf:a", `noise=drop=${drop.join("+")}`] : []),
    "-f", "adts",
    "-y", cmd.output,
  ];
}

/** Packages the joined AAC into the audio HLS and its preview without re-encoding. */
export function audioPackageArgs(cmd: { adts: string; hlsDir: string; segmentSeconds: number; previewSeconds: number; base: string[] }): string[] {
  return [
    ...cmd.base,
    "-f", "aac",
    "-i", cmd.adts,
    "-map", "0:a", "-c", "copy", ...hlsOutputArgs(`${cmd.hlsDir}/audio`, "index.m3u8", cmd.segmentSeconds),
    // The preview is the first `previewSeconds`, cut at a frame.
    "-map", "0:a", "-c", "copy", "-t", String(cmd.previewSeconds), ...hlsOutputArgs(`${cmd.hlsDir}/preview`, "preview.m3u8", cmd.segmentSeconds),
  ];
}
