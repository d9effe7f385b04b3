import { runTool, type RunOptions } from "./ffmpeg/spawn.ts";

/** Frames idet looks at: 2 s at 30 fps, enough for its multi-frame verdict (the fixtures score 60 of 60), 0.25 s at 1080p. */
export const IDET_FRAMES = 60;

/** A short idet pass over the first frames of the chosen stream, decoding nothing else. */
export function idetArgs(input: string, base: string[], stream: string): string[] {
  return [
    ...base,
    "-i", input,
    "-map", stream,
    // Only the first IDET_FRAMES frames are decoded.
    "-frames:v", String(IDET_FRAMES),
    "-vf", "idet",
    "-an",
    "-f", "null", "-",
  ];
}

/**
 * idet's multi-frame counts. Interlaced when combed frames (top or bottom field first) are the
 * clear majority of the frames it could decide on, and at least 10: a progressive clip with a few
 * ambiguous frames stays progressive.
 */
export function interlacedFromIdet(stderr: string): boolean {
  const m = /Multi frame detection:\s*TFF:\s*(\d+)\s*BFF:\s*(\d+)\s*Progressive:\s*(\d+)/.exec(stderr);
  if (!m) return false;
  const [tff, bff, progressive] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const combed = tff + bff;
  return combed >= 10 && combed > 2 * progressive;
}

/** Whether the stream's pictures are interlaced, by looking at them. */
export async function detectInterlace(input: string, base: string[], stream: string, opts: RunOptions): Promise<boolean> {
  const { stderrTail } = await runTool("ffmpeg", idetArgs(input, base, stream), opts);
  return interlacedFromIdet(stderrTail);
}
