import { stat } from "node:fs/promises";
import { PipelineError } from "./errors.ts";
import { runTool, type RunOptions } from "./ffmpeg/spawn.ts";
import type { VideoPlan } from "./plan.ts";
import { shownAt, thumbnailArgs } from "./stills-args.ts";

const written = async (path: string) => ((await stat(path).catch(() => null))?.size ?? 0) > 0;

/**
 * Containers with an index (MP4, Matroska, AVI…) seek exactly. MPEG-TS and -PS and raw streams
 * have none: FFmpeg estimates a byte position from the bitrate and the timestamps, which a
 * wrapped 33-bit clock or a variable rate sends somewhere else in the file (measured: a 20 s TS
 * wrapping at 1.7 s gave the frame at 10.0 s for a seek to 2.0 s). Those are decoded up to the mark.
 */
const UNINDEXED = new Set(["mpegts", "mpeg", "h264", "hevc", "m4v", "mpegvideo"]);
export const seekable = (demuxer: string) => !UNINDEXED.has(demuxer);

/**
 * Where the thumbnail is looked for: the poster frame the item asked for, no later than the last
 * frame (a time past the end, asked before the length was known, gives the last frame),
 * else 10 % of the video.
 */
export function thumbnailMark(job: { thumbnailSeconds?: number }, length: number, fps: number): number {
  if (job.thumbnailSeconds === undefined) return length * 0.1;
  // 1.5 frames before the end: inside the last frame, whatever rounding the length had (a seek
  // to just past the last frame's start finds no frame at all).
  return Math.max(0, Math.min(job.thumbnailSeconds, length - 1.5 / Math.max(1, fps)));
}

/**
 * The thumbnail at its mark (10 % of the video, or the frame the item asked for), or the first frame after it that is not black, and the
 * time it shows. Tries the cheap way first; each fallback is paid only by the files that need it:
 * 1. fast seek, skipping black frames (indexed containers only);
 * 2. decoding from the start, skipping black (where a seek lands wrong or before any decodable frame);
 * 3. the frame at the mark itself, black or not (the whole window was black).
 */
export async function makeThumbnail(a: {
  input: string;
  output: string;
  atSeconds: number;
  plan: VideoPlan;
  base: string[];
  /** The demuxer the probe chose: containers without an index are never input-seeked. */
  demuxer: string;
  opts: RunOptions;
}): Promise<{ atSeconds: number }> {
  const attempts = [
    ...(seekable(a.demuxer) ? [{ mode: "seek", skipBlack: true } as const] : []),
    { mode: "decode", skipBlack: true },
    { mode: "decode", skipBlack: false },
  ] as const;
  for (const { mode, skipBlack } of attempts) {
    const { stderrTail } = await runTool("ffmpeg", thumbnailArgs({ ...a, mode, skipBlack }), a.opts);
    if (!(await written(a.output))) continue;
    const shown = shownAt(stderrTail);
    // After an input seek the frames' clock starts at the mark; after decoding, at the file's start.
    const at = shown === null ? a.atSeconds : mode === "seek" ? a.atSeconds + shown : shown;
    return { atSeconds: Math.round(at * 1000) / 1000 };
  }
  throw new PipelineError("ENCODE_FAILED", `FFmpeg finished but wrote no thumbnail at ${a.atSeconds.toFixed(3)} s`, true);
}
