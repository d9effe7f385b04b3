import type { Phase } from "../../src/contract/index.ts";

export interface ProgressEvent {
  phase: Phase;
  percent: number;
}

/** Where each phase sits on the job's 0–100 scale. */
export const PHASE_SPAN: Record<Phase, [number, number]> = {
  downloading: [0, 5],
  probing: [5, 8],
  encoding: [8, 88],
  packaging: [88, 95],
  uploading: [95, 100],
};

/** Emits phase + percent, never going backwards, and never the same percent twice in a row. */
export class ProgressTracker {
  private last = -1;
  constructor(private readonly emit: (e: ProgressEvent) => void) {}

  /** `fraction` is 0–1 within the phase. */
  report(phase: Phase, fraction: number): void {
    const [from, to] = PHASE_SPAN[phase];
    const percent = Math.floor((from + (to - from) * Math.min(1, Math.max(0, fraction))) * 10) / 10;
    if (percent <= this.last) return;
    this.last = percent;
    this.emit({ phase, percent });
  }
}

/**
 * Reads FFmpeg's `-progress` key=value stream and calls `onFraction` with out_time / duration.
 * (In FFmpeg 5.1 out_time_ms is in microseconds too, like out_time_us.)
 *
 * With `fps`, the count of frames of the first video output (`frame=`) against duration × fps is
 * used instead: out_time is the furthest of all outputs, and the ladder's storyboard sheet (one
 * frame lasting all its tiles) puts it at the end of the video as soon as it starts (measured).
 */
export function progressParser(durationSeconds: number, onFraction: (f: number) => void, opts: { fps?: number } = {}): (chunk: Buffer) => void {
  const frames = opts.fps ? durationSeconds * opts.fps : 0;
  let partial = "";
  return (chunk) => {
    const lines = (partial + chunk.toString("utf8")).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      const [key, value] = line.split("=", 2);
      if (frames > 0) {
        if (key === "frame" && Number(value) >= 0) onFraction(Number(value) / frames);
        else if (key === "progress" && value?.trim() === "end") onFraction(1);
        continue;
      }
      if (key === "out_time_us" || key === "out_time_ms") {
        const us = Number(value);
        if (Number.isFinite(us) && us >= 0 && durationSeconds > 0) onFraction(us / 1e6 / durationSeconds);
      } else if (key === "progress" && value?.trim() === "end") {
        onFraction(1);
      }
    }
  };
}
