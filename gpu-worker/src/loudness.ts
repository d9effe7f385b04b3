import { runTool } from "./ffmpeg/spawn.ts";

export interface Loudness {
  /** LUFS */
  integrated: number;
  /** dBTP */
  truePeak: number;
  /** LU */
  range: number;
  /** Gating threshold of the integrated measurement (LUFS), needed by loudnorm's second pass. */
  threshold: number;
}
export interface LoudnessTarget {
  integrated: number;
  truePeak: number;
}

/** Below this the track is silence: nothing to normalise, and the figures are floor values. */
const SILENCE_LUFS = -69;

/** Reads the summary ebur128 prints at the end of a run. */
export function parseEbur128Summary(stderr: string): Loudness | null {
  const at = stderr.lastIndexOf("Summary:");
  if (at < 0) return null;
  const text = stderr.slice(at);
  const num = (re: RegExp) => {
    const m = re.exec(text);
    return m ? (m[1] === "-inf" ? -Infinity : Number(m[1])) : NaN;
  };
  const integrated = num(/Integrated loudness:\s+I:\s+(-?[\d.]+|-inf) LUFS/);
  const threshold = num(/Integrated loudness:\s+I:[^\n]+\n\s+Threshold:\s+(-?[\d.]+|-inf) LUFS/);
  const range = num(/LRA:\s+(-?[\d.]+) LU/);
  const truePeak = num(/Peak:\s+(-?[\d.]+|-inf) dBFS/);
  if ([integrated, range].some(Number.isNaN)) return null;
  return {
    integrated: Number.isFinite(integrated) ? integrated : -70,
    truePeak: Number.isFinite(truePeak) ? truePeak : -70,
    range,
    threshold: Number.isFinite(threshold) ? threshold : -70,
  };
}

/** The measurement filter: EBU R128 with true-peak (4× oversampled) detection. */
export const EBUR128_FILTER = "ebur128=peak=true";

/** First pass for video: decode the audio only and measure it. */
export function measureArgs(input: string, base: string[], stream = "0:a:0"): string[] {
  return [
    ...base,
    "-i", input,
    // Audio only: skip decoding video for the measurement.
    "-map", stream,
    "-af", EBUR128_FILTER,
    "-f", "null", "-",
  ];
}

export async function measureLoudness(input: string, base: string[], opts: { signal?: AbortSignal; timeoutMs?: number }, stream?: string): Promise<Loudness | null> {
  const { stderrTail } = await runTool("ffmpeg", measureArgs(input, base, stream), opts);
  return parseEbur128Summary(stderrTail);
}

/**
 * The level a job's sound is brought to, or null when the item asked to keep its own
 * (`normalizeAudio: false`, a music platform's choice); loudness is measured and reported either way.
 */
export function normalisationTarget(job: { normalizeAudio?: boolean; loudnessTarget: LoudnessTarget }): LoudnessTarget | null {
  return job.normalizeAudio === false ? null : job.loudnessTarget;
}

/**
 * Second-pass normalisation to the target. Linear (one constant gain) when the gain keeps the
 * true peak under the ceiling; otherwise loudnorm with the measured values, which limits peaks.
 */
export function normalisationFilter(measured: Loudness | null, target: LoudnessTarget | null): { filter: string | null; mode: "none" | "linear" | "dynamic" } {
  if (!target || !measured || measured.integrated <= SILENCE_LUFS) return { filter: null, mode: "none" };
  const gain = target.integrated - measured.integrated;
  if (measured.truePeak + gain <= target.truePeak) {
    return { filter: `volume=${gain.toFixed(2)}dB`, mode: "linear" };
  }
  const f = (n: number) => n.toFixed(2);
  return {
    filter:
      `loudnorm=I=${target.integrated}:TP=${target.truePeak}:LRA=11` +
      `:measured_I=${f(measured.integrated)}:measured_TP=${f(measured.truePeak)}` +
      `:measured_LRA=${f(measured.range)}:measured_thresh=${f(measured.threshold)}:linear=true`,
    mode: "dynamic",
  };
}
