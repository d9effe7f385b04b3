import type { VideoEncoder } from "../encoders/types.ts";
import { chain, FIRST_PICTURE_AT_ZERO, hlsOutputArgs } from "../hls-args.ts";
import type { VideoPlan } from "../plan.ts";
import { firstTile, storyboardFilter, TILE_PATTERN, type StoryboardPlan } from "../storyboard.ts";
import { mezzaninePartArgs } from "../stills-args.ts";
import type { ChunkSpan } from "./chunk-plan.ts";

export interface ChunkCommand {
  input: string;
  /** The chunk's own tree: <hlsDir>/<rung>/seg_%05d.ts and index.m3u8, numbered from span.firstSegment. */
  hlsDir: string;
  plan: VideoPlan;
  encoder: VideoEncoder;
  segmentSeconds: number;
  span: ChunkSpan;
  /** The video's first frame on the fps filter's clock (ticks of 1/fps): a source may start late. */
  firstTick: number;
  /** Flags for the original (its demuxer forced). */
  source: string[];
  /** The seek-preview tiles that fall in this chunk, numbered as in a one-job encode. */
  storyboard?: { plan: StoryboardPlan; tilesDir: string };
  /** Where the chunk's span of the mezzanine's picture goes, when the original cannot be remuxed. */
  mezzaninePart?: string;
}

/**
 * The source filters with the chunk cut in, right after the frame-rate filter (so on the output
 * frame grid, before any costly filter). The seek's offset is undone first, so frames keep the
 * whole video's clock: `fps` then numbers them in its own time base (1/fps), frame n of the
 * video at tick firstTick + n, and picks the frames a one-job encode picks; the cut is in those
 * ticks, exact (a time in seconds is rounded into the time base, and lost a frame at 30 fps).
 */
export function chunkFilters(source: string[], span: ChunkSpan, firstTick: number, restore = true): string[] {
  const at = source.findIndex((f) => f.startsWith("fps="));
  if (at < 0) throw new Error("the source filters have no fps filter to cut after");
  const bounds = [
    ...(span.index > 0 ? [`start_pts=${firstTick + span.startFrame}`] : []),
    ...(span.frames !== null ? [`end_pts=${firstTick + span.startFrame + span.frames}`] : []),
  ];
  return [
    ...(restore ? restoreClock(span) : []),
    ...source.slice(0, at + 1),
    ...(bounds.length ? [`trim=${bounds.join(":")}`] : []),
    ...source.slice(at + 1),
  ];
}

/** The seek's offset undone: frames back on the whole video's clock. */
const restoreClock = (span: ChunkSpan) => (span.seekSeconds > 0 ? [`setpts=PTS+${span.seekSeconds.toFixed(6)}/TB`] : []);

/**
 * The chunk's span of the original's own frames (before `fps`, for the mezzanine): cut in
 * seconds half an output frame before each edge, the same value on both sides of a join, so
 * every frame of the original falls in exactly one part.
 */
export function mezzanineCut(span: ChunkSpan, firstTick: number, fps: number): string {
  const edge = (frame: number) => ((firstTick + frame - 0.5) / fps).toFixed(6);
  const bounds = [...(span.index > 0 ? [`start=${edge(span.startFrame)}`] : []), ...(span.frames !== null ? [`end=${edge(span.startFrame + span.frames)}`] : [])];
  return bounds.length ? `trim=${bounds.join(":")}` : "null";
}

/**
 * One chunk of the ladder in one FFmpeg process: every rung of frames [start, start + frames),
 * timestamps on the whole video's clock, segments numbered where the chunk's first one sits.
 * The stitched rungs are then the chunks' segment lists end to end (fanout/stitch.ts).
 */
export function chunkArgs(cmd: ChunkCommand): string[] {
  const { plan, encoder, span } = cmd;
  const n = plan.rungs.length;
  const sb = cmd.storyboard;
  const graph: string[] = [];
  const outs = [...plan.rungs.map((_, i) => `[s${i}]`), ...(sb ? ["[ssb]"] : [])];
  const input = `[${plan.stream ?? "0:v:0"}]`;
  if (cmd.mezzaninePart) {
    // The original's frames go two ways: as they are to the mezzanine, prepared to the ladder.
    graph.push(`${input}${chain(restoreClock(span), "null")},split=2[mraw][src]`);
    graph.push(`[mraw]${[mezzanineCut(span, cmd.firstTick, plan.fps), ...encoder.toCpu].join(",")}[vm]`);
    graph.push(`[src]${chain(chunkFilters(encoder.sourceFilters(plan), span, cmd.firstTick, false), "null")},split=${outs.length}${outs.join("")}`);
  } else {
    graph.push(`${input}${chain(chunkFilters(encoder.sourceFilters(plan), span, cmd.firstTick), "null")},split=${outs.length}${outs.join("")}`);
  }
  plan.rungs.forEach((rung, i) => graph.push(`[s${i}]${encoder.scaleFilter(rung)}[v${i}]`));
  if (sb) {
    graph.push(`[ssb]${storyboardFilter(sb.plan, plan.fps, encoder.toCpu, span.startFrame)}[vsb]`);
  }
  const args = [
    ...cmd.source,
    ...encoder.decodeArgs(plan),
    // Input seek to before a keyframe at or before the chunk (keyframes.ts); the filters cut exactly.
    ...(span.seekSeconds > 0 ? ["-ss", span.seekSeconds.toFixed(6)] : []),
    "-i", cmd.input,
    "-filter_complex", graph.join(";"),
    "-progress", "pipe:1",
    "-nostats",
  ];
  for (let i = 0; i < n; i++) {
    args.push(
      "-map", `[v${i}]`,
      ...encoder.encodeArgs(plan.rungs[i]!, plan),
      // Only the video's first frame is made to decode when shown (hls-args); a later chunk keeps
      // the encoder's own reorder delay, so its DTS continue the chunk before without a jump.
      ...(span.index === 0 ? FIRST_PICTURE_AT_ZERO : []),
      "-an",
      // Frames go out with the whole video's timestamps as the filters made them (already one
      // per tick): FFmpeg's constant-rate output would pad a later chunk from 0 with copies.
      "-fps_mode", "passthrough",
      ...hlsOutputArgs(`${cmd.hlsDir}/${plan.rungs[i]!.name}`, "index.m3u8", cmd.segmentSeconds, span.firstSegment),
    );
  }
  if (cmd.mezzaninePart) args.push("-map", "[vm]", ...mezzaninePartArgs(cmd.mezzaninePart));
  if (sb) {
    args.push(
      "-map", "[vsb]", "-c:v", "png",
      // Variable rate: one picture per selected frame, none repeated.
      "-fps_mode", "passthrough",
      "-f", "image2", "-start_number", String(firstTile(sb.plan.interval, plan.fps, span.startFrame)),
      "-y", `${sb.tilesDir}/${TILE_PATTERN}`,
    );
  }
  return args;
}
