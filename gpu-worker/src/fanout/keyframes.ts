import { inputLimits } from "../ffmpeg/spawn.ts";
import type { ChunkPlan, ChunkSpan } from "./chunk-plan.ts";

/**
 * Where a chunk's FFmpeg seeks to. A chunk starts on an exact output frame, which the decoder
 * can only reach from a keyframe of the original at or before it. Containers with an index
 * (MP4, Matroska) seek onto such a keyframe; MPEG-TS and other streams seek by bytes onto any
 * packet, and a decoder that starts on a non-key packet drops pictures until the next keyframe:
 * measured, a chunk of a 10 s-GOP broadcast TS then lost 4 s. So the plan reads where the
 * original's keyframes are (packet flags: a demux, no decode) and each chunk seeks to a little
 * before the last keyframe at or before its start.
 */

/** ffprobe flags that list the first video stream's packets (time and flags) and the file's start. */
export function keyframeProbeArgs(input: string, demuxer: string, stream: string | undefined): string[] {
  return [
    "-v", "error",
    ...inputLimits(),
    // The demuxer the probe decided, and no other (as every command that opens the original).
    "-f", demuxer,
    // The video stream the ladder encodes (0:<index>), or the first.
    "-select_streams", stream ? stream.replace(/^0:/, "") : "v:0",
    "-show_entries", "packet=pts_time,flags:format=start_time",
    "-of", "json",
    input,
  ];
}

/** The keyframes' times on the clock the encode uses (the file's start is 0), ascending. Pure. */
export function parseKeyframes(json: string): number[] {
  const parsed = JSON.parse(json) as { packets?: { pts_time?: string; flags?: string }[]; format?: { start_time?: string } };
  const start = Number(parsed.format?.start_time) || 0;
  return (parsed.packets ?? [])
    .filter((p) => p.flags?.startsWith("K") && p.pts_time !== undefined && Number.isFinite(Number(p.pts_time)))
    .map((p) => Number(p.pts_time) - start)
    .sort((a, b) => a - b);
}

/**
 * Before the last keyframe at or before the chunk's start by `margin` seconds (more than any
 * reorder delay, so a byte seek lands before the keyframe's decode time too); 0 when there is none.
 */
export function seekPoint(startSeconds: number, keyframes: number[], margin = 1): number {
  let k = 0;
  for (const t of keyframes) if (t <= startSeconds + 1e-6) k = t;
  return Math.max(0, k - margin);
}

/**
 * The plan with each chunk's seek point. Pure. `margin` 0 for a container FFmpeg seeks by its
 * index (MP4/MOV): it lands on the keyframe at or before the seek point itself, so a margin would
 * only send it a whole GOP further back.
 */
export function withSeekPoints(plan: ChunkPlan, keyframes: number[], margin = 1): ChunkPlan {
  return { ...plan, chunks: plan.chunks.map((c): ChunkSpan => ({ ...c, seekSeconds: c.index === 0 ? 0 : seekPoint(c.startSeconds, keyframes, margin) })) };
}
