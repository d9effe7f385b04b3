import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chunksFor } from "../src/audio-args.ts";
import { analyseAudio, analysisArgs, BlockReader, escapeFilterValue, loudnessFromBlocks } from "../src/audio-analysis.ts";
import { parseEbur128Summary } from "../src/loudness.ts";
import { WaveformBuilder } from "../src/outputs/waveform.ts";
import { fixture, tempDir } from "./support.ts";

/** Loudness and waveform of `input` through analyseAudio, in `cores` chunks of at least 20 s. */
async function analyse(input: string, cores: number) {
  const waveform = new WaveformBuilder(48000, 960);
  const duration = Number(execFileSync("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", input], { encoding: "utf8" }));
  const loudness = await analyseAudio({
    input,
    chunks: chunksFor({ formatName: "flac", durationSeconds: duration, cores, minChunkSeconds: 20 }),
    sampleRate: 44100,
    waveform,
    // FFmpeg writes the blocks there: the name checks the filtergraph escaping.
    workDir: join(tempDir(), "an:aly,sis [x]"),
    base: ["-hide_banner", "-nostdin"],
    opts: { timeoutMs: 60_000 },
  });
  return { loudness: loudness!, waveform: waveform.finish() };
}

/** The blocks kept from a whole print-out. */
function parseBlocks(text: string, fromSeconds: number, toSeconds: number | null) {
  const reader = new BlockReader(fromSeconds, toSeconds);
  for (const line of text.split("\n")) reader.line(line);
  return reader.result();
}

describe("audio analysis in parallel chunks", () => {
  it("matches one ebur128 pass over the whole file: integrated, range, true peak, gate", async () => {
    const input = fixture("levels-75s-44k.flac");
    const one = spawnSync("ffmpeg", ["-hide_banner", "-nostdin", "-i", input, "-af", "ebur128=peak=true", "-f", "null", "-"], { encoding: "utf8" });
    const reference = parseEbur128Summary(one.stderr)!;
    const chunked = await analyse(input, 3); // starts at 0, 24 and 48 s
    expect(Math.abs(chunked.loudness.integrated - reference.integrated)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(chunked.loudness.threshold - reference.threshold)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(chunked.loudness.range - reference.range)).toBeLessThanOrEqual(0.2);
    // The square wave's peak between samples, not inflated by a chunk's cut edges.
    expect(chunked.loudness.truePeak).toBe(reference.truePeak);
    expect(reference.range).toBeGreaterThan(5); // the fixture really has a range to get right
  });

  it("draws the same waveform in chunks as in one decode", async () => {
    const input = fixture("levels-75s-44k.flac");
    const [whole, chunked] = [await analyse(input, 1), await analyse(input, 3)];
    expect(chunked.waveform.length).toBe(whole.waveform.length);
    expect(chunked.waveform.length).toBeCloseTo((75 * 48000) / 960, -1);
    const diff = chunked.waveform.data.map((v, i) => Math.abs(v - whole.waveform.data[i]!));
    // Resampling restarts at a join: a sample or two there may differ in the last bit.
    expect(Math.max(...diff)).toBeLessThanOrEqual(1);
    expect(whole.waveform.data.some((v) => v > 60)).toBe(true); // the square wave
  });

  it("keeps the blocks whose windows end inside the chunk", () => {
    const frame = (t: number, m: number, s: number) => `frame:${t * 10}    pts:0       pts_time:${t}\nlavfi.r128.M=${m}\nlavfi.r128.S=${s}\nlavfi.r128.I=-70.000\n`;
    const text = [frame(3.8, -30, -31), frame(3.9, -29, -30), frame(4, -20, -21), frame(4.1, -19, -inf()), frame(27.9, -18, -19), frame(28, -17, -18)].join("");
    expect(parseBlocks(text, 4, 28)).toEqual({ momentary: [-20, -19, -18], shortTerm: [-21, -Infinity, -19] });
    expect(parseBlocks(text, 0, null).momentary).toHaveLength(6);
  });

  it("gates as BS.1770 does: silence and blocks 10 LU under the programme do not count", () => {
    const blocks = { momentary: [...Array(90).fill(-20), ...Array(10).fill(-40), ...Array(50).fill(-Infinity)], shortTerm: Array(100).fill(-20) };
    expect(loudnessFromBlocks(blocks, -3)).toEqual({ integrated: -20, truePeak: -3, range: 0, threshold: -30.5 });
    expect(loudnessFromBlocks({ momentary: [], shortTerm: [] }, -70)).toMatchObject({ integrated: -70, range: 0 });
  });

  it("chunk arguments: seek a lead early, fade the measured edges, trim the waveform to the chunk", () => {
    expect(analysisArgs({ input: "in.flac", chunk: { start: 24, length: 24 }, metadataFile: "/tmp/a b/blocks-1.txt", base: [] })).toEqual([
      "-ss", "20", "-t", "28.5", "-i", "in.flac",
      "-filter_complex",
      "[0:a:0]asplit=2[m][w];" +
        "[m]afade=t=in:d=0.5,afade=t=out:st=28:d=0.5,ebur128=peak=true:metadata=1,ametadata=mode=print:file=/tmp/a b/blocks-1.txt,anullsink;" +
        "[w]atrim=start=4:end=28,aformat=sample_fmts=s16:sample_rates=48000:channel_layouts=mono[pcm]",
      "-map", "[pcm]", "-f", "s16le", "pipe:1",
    ]);
    expect(escapeFilterValue("/x/a:b,c[d]'e")).toBe("/x/a\\\\:b\\,c\\[d\\]\\\\\\'e");
  });
});

function inf() {
  return "-inf" as unknown as number;
}
