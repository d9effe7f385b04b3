import { createReadStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { WAVEFORM_SAMPLE_RATE, type AudioChunk } from "./audio-args.ts";
import { runTool } from "./ffmpeg/spawn.ts";
import { together } from "./ffmpeg/together.ts";
import { EBUR128_FILTER, parseEbur128Summary, type Loudness } from "./loudness.ts";
import type { WaveformBuilder } from "./outputs/waveform.ts";

/**
 * Audio pass 1 for audio media, spread over the cores: each chunk is decoded once and split into
 * the EBU R128 measurement and the waveform's samples. FFmpeg's ebur128 runs on one core, and with
 * true peak it is the costliest step after the AAC encode.
 *
 * A chunk's figures cannot simply be averaged: integrated loudness and loudness range gate over
 * the whole programme. So each chunk reports its 100 ms blocks (ebur128's per-frame metadata: the
 * 400 ms momentary and 3 s short-term loudness), and the gating of BS.1770-4 / EBU Tech 3342 runs
 * here over the blocks of all chunks. A chunk is decoded from ANALYSIS_LEAD_SECONDS before its
 * start, so that its first kept blocks see full windows and settled filters, exactly as a decode from the
 * start would (test: audio-analysis.test.ts compares with one ebur128 pass).
 */

/** Decoded before a chunk's start: more than the 3 s short-term window, a whole number of samples at any rate. */
export const ANALYSIS_LEAD_SECONDS = 4;
const leadOf = (chunk: AudioChunk) => Math.min(chunk.start, ANALYSIS_LEAD_SECONDS);
/**
 * Faded in at a chunk's first decoded sample and out after its end: a waveform cut mid-swing
 * rings in the 4× oversampling of the true-peak meter and would read above the real peak.
 */
const FADE_SECONDS = 0.5;
/** ebur128's block hop. */
const BLOCK_SECONDS = 0.1;

/** One chunk: measurement blocks to `metadataFile`, waveform PCM on stdout. */
export function analysisArgs(cmd: { input: string; chunk: AudioChunk; metadataFile: string; base: string[]; stream?: string }): string[] {
  const { start, length } = cmd.chunk;
  const lead = leadOf(cmd.chunk);
  const post = length !== null ? FADE_SECONDS : 0;
  const measure = [
    lead > 0 ? `afade=t=in:d=${FADE_SECONDS}` : null,
    length !== null ? `afade=t=out:st=${lead + length}:d=${FADE_SECONDS}` : null,
    // metadata=1: one output frame per 100 ms block, carrying its M and S loudness.
    `${EBUR128_FILTER}:metadata=1`,
    `ametadata=mode=print:file=${escapeFilterValue(cmd.metadataFile)}`,
    "anullsink",
  ];
  const trim = [lead > 0 ? `start=${lead}` : null, length !== null ? `end=${lead + length}` : null].filter(Boolean).join(":");
  const wave = [trim ? `atrim=${trim}` : null, `aformat=sample_fmts=s16:sample_rates=${WAVEFORM_SAMPLE_RATE}:channel_layouts=mono`];
  return [
    ...cmd.base,
    // Input seek to a whole second (exact in the containers that are chunked), and only as far as needed.
    ...(lead > 0 ? ["-ss", String(start - lead)] : []),
    ...(length !== null ? ["-t", String(lead + length + post)] : []),
    "-i", cmd.input,
    "-filter_complex", [`[${cmd.stream ?? "0:a:0"}]asplit=2[m][w]`, `[m]${measure.filter(Boolean).join(",")}`, `[w]${wave.filter(Boolean).join(",")}[pcm]`].join(";"),
    // Raw samples, streamed to the parent.
    "-map", "[pcm]", "-f", "s16le", "pipe:1",
  ];
}

/** Escapes a filter option value, then the filtergraph around it (FFmpeg's two quoting levels). */
export function escapeFilterValue(value: string): string {
  const option = value.replace(/[\\':]/g, (c) => `\\${c}`);
  return option.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

export interface Blocks {
  /** Momentary loudness (LUFS) of each 400 ms window, one per 100 ms. */
  momentary: number[];
  /** Short-term loudness (LUFS) of each 3 s window, one per 100 ms. */
  shortTerm: number[];
}

/**
 * The blocks of a chunk whose windows end inside it, from ametadata's print-out, a line at a
 * time (four hours print 140 000 frames). A frame at pts_time t closes the windows that end at
 * t + 100 ms.
 */
export class BlockReader {
  private readonly blocks: Blocks = { momentary: [], shortTerm: [] };
  private readonly first: number;
  private readonly last: number;
  private keep = false;
  constructor(fromSeconds: number, toSeconds: number | null) {
    this.first = Math.round(fromSeconds / BLOCK_SECONDS);
    this.last = toSeconds === null ? Infinity : Math.round(toSeconds / BLOCK_SECONDS) - 1;
  }

  line(line: string): void {
    if (line.startsWith("frame:")) {
      const t = /pts_time:(\S+)/.exec(line);
      const k = t ? Math.round(Number(t[1]) / BLOCK_SECONDS) : -1;
      this.keep = k >= this.first && k <= this.last;
    } else if (this.keep && line.startsWith("lavfi.r128.M=")) this.blocks.momentary.push(lufs(line.slice(13)));
    else if (this.keep && line.startsWith("lavfi.r128.S=")) this.blocks.shortTerm.push(lufs(line.slice(13)));
  }

  result(): Blocks {
    return this.blocks;
  }
}

async function readBlocks(path: string, fromSeconds: number, toSeconds: number | null): Promise<Blocks> {
  const reader = new BlockReader(fromSeconds, toSeconds);
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) reader.line(line);
  return reader.result();
}

function lufs(text: string): number {
  const n = Number(text);
  return Number.isFinite(n) ? n : -Infinity;
}

const ABSOLUTE_GATE = -70;
const energy = (l: number) => 10 ** ((l + 0.691) / 10);
const loudnessOf = (e: number) => -0.691 + 10 * Math.log10(e);
const meanEnergy = (ls: number[]) => ls.reduce((sum, l) => sum + energy(l), 0) / ls.length;

/**
 * BS.1770-4 integrated loudness (absolute gate −70 LUFS, relative gate −10 LU) and EBU Tech 3342
 * loudness range (gates −70 LUFS and −20 LU, 10th to 95th percentile, ranked as FFmpeg ranks them).
 */
export function loudnessFromBlocks(blocks: Blocks, truePeak: number): Loudness {
  const audible = blocks.momentary.filter((l) => l >= ABSOLUTE_GATE);
  let integrated = -70;
  let threshold = -70;
  if (audible.length) {
    threshold = loudnessOf(meanEnergy(audible)) - 10;
    const gated = audible.filter((l) => l >= threshold);
    integrated = loudnessOf(meanEnergy(gated));
  }
  let range = 0;
  const st = blocks.shortTerm.filter((l) => l >= ABSOLUTE_GATE);
  if (st.length) {
    const gate = loudnessOf(meanEnergy(st)) - 20;
    const ranked = st.filter((l) => l >= gate).sort((a, b) => a - b);
    const at = (p: number) => ranked[Math.max(0, Math.round(p * ranked.length) - 1)]!;
    if (ranked.length) range = at(0.95) - at(0.1);
  }
  const round = (n: number) => Math.round(n * 10) / 10;
  return { integrated: round(integrated), truePeak, range: round(range), threshold: round(threshold) };
}

/**
 * Loudness and waveform of the whole input, in the encode's chunks (see chunksFor) where the
 * input rate has whole-sample 100 ms blocks; in one decode otherwise.
 */
export async function analyseAudio(a: {
  input: string;
  chunks: AudioChunk[];
  sampleRate: number;
  waveform: WaveformBuilder;
  workDir: string;
  base: string[];
  /** The track analysed (default 0:a:0). */
  stream?: string;
  opts: { signal?: AbortSignal; timeoutMs: number };
}): Promise<Loudness | null> {
  const chunks: AudioChunk[] = a.sampleRate % 10 === 0 ? a.chunks : [{ start: 0, length: null }];
  await mkdir(a.workDir, { recursive: true });
  try {
    const parts = await together(
      a.opts.signal,
      chunks.map((chunk, i) => async (signal: AbortSignal) => {
        const metadataFile = join(a.workDir, `blocks-${i}.txt`);
        const sink = a.waveform.part(Math.round(chunk.start * WAVEFORM_SAMPLE_RATE));
        let consumed: Promise<void> = Promise.resolve();
        const run = await runTool("ffmpeg", analysisArgs({ input: a.input, chunk, metadataFile, base: a.base, stream: a.stream }), {
          ...a.opts,
          signal,
          takeStdout: (s) => (consumed = sink.consume(s)),
        });
        await consumed;
        const lead = leadOf(chunk);
        const blocks = await readBlocks(metadataFile, lead, chunk.length === null ? null : lead + chunk.length);
        return { blocks, summary: parseEbur128Summary(run.stderrTail) };
      }),
    );
    if (parts.some((p) => !p.summary)) return null;
    const truePeak = Math.max(...parts.map((p) => p.summary!.truePeak));
    return loudnessFromBlocks(
      { momentary: parts.flatMap((p) => p.blocks.momentary), shortTerm: parts.flatMap((p) => p.blocks.shortTerm) },
      truePeak,
    );
  } finally {
    await rm(a.workDir, { recursive: true, force: true });
  }
}
