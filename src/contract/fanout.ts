import { z } from "zod";
import { renditionName } from "./job.ts";
import { outputKeys, type KeyScope } from "./keys.ts";

/**
 * One video's ladder split across workers (gpu-worker/src/fanout/): what a chunk job is told, so
 * that the item's object can hand the plan of one job to the jobs of the others unchanged, and
 * each side checks it the same way. Every number is bounded: a plan is input like any other.
 */
const int = (min: number, max: number) => z.number().int().min(min).max(max);

export const chunkSpan = z.object({
  index: int(0, 9_999),
  startFrame: int(0, 100_000_000),
  /** Null for the last chunk, which runs to the end. */
  frames: int(1, 10_000_000).nullable(),
  startSeconds: z.number().min(0).max(7 * 86_400),
  firstSegment: int(0, 99_999),
  seekSeconds: z.number().min(0).max(7 * 86_400),
});
export type ChunkSpanInput = z.infer<typeof chunkSpan>;

export const chunkPlan = z
  .object({
    fps: z.number().positive().max(120),
    firstTick: int(0, 10_000_000),
    segmentFrames: int(1, 100_000),
    chunks: z.array(chunkSpan).min(1).max(10_000),
  })
  .refine(
    (p) =>
      p.chunks.every((c, i) => {
        const next = p.chunks[i + 1];
        // In order, each starting where the one before ends, on segment boundaries, only the last open-ended.
        return c.index === i && c.startFrame % p.segmentFrames === 0 && c.firstSegment * p.segmentFrames === c.startFrame &&
          (next ? c.frames !== null && next.startFrame === c.startFrame + c.frames : c.frames === null);
      }),
    { message: "chunks must follow each other on segment boundaries, the last running to the end" },
  );

const even = (max: number) => int(2, max).refine((n) => n % 2 === 0, "must be even");

export const rungPlan = z.object({
  name: renditionName,
  width: even(8192),
  height: even(8192),
  videoKbps: int(50, 100_000),
  maxrateKbps: int(50, 200_000),
  bufsizeKbps: int(50, 400_000),
  level: z.enum(["3.0", "3.1", "4.0", "4.2"]),
});

export const videoPlan = z.object({
  /** The original's stream the ladder encodes, as FFmpeg names it (`0:<index>`). */
  stream: z.string().regex(/^0:\d{1,3}$/).optional(),
  rungs: z.array(rungPlan).min(1).max(8),
  fps: z.number().positive().max(120),
  gop: int(1, 1200),
  rotated: z.boolean(),
  toneMap: z.boolean(),
  toEightBit: z.boolean(),
  deinterlace: z.boolean().optional(),
});

export const storyboardPlan = z.object({
  interval: int(1, 86_400),
  tiles: int(1, 1000),
  columns: int(1, 100),
  rows: int(1, 100),
  tileWidth: even(1024),
  tileHeight: even(1024),
});

/** Everything a chunk job needs besides the item's own fields: which frames, how to encode them. */
export const chunkTask = z.object({
  kind: z.literal("chunk"),
  index: int(0, 9_999),
  plan: videoPlan,
  chunks: chunkPlan,
  storyboard: storyboardPlan,
  /** The demuxer the plan's probe decided: a chunk opens the original with it and no other. */
  demuxer: z.string().regex(/^[a-z0-9_,]{1,64}$/),
  /** The item's length (its picture's), seconds. */
  length: z.number().positive().max(7 * 86_400),
  /** Whether the chunk also encodes its span of the mezzanine's picture (an original that cannot be remuxed). */
  mezzanine: z.boolean().default(false),
}).refine((t) => t.index < t.chunks.chunks.length, { message: "index must name a chunk of the plan", path: ["index"] });
export type ChunkTask = z.infer<typeof chunkTask>;

const SEGMENT = /^seg_(\d{5})\.ts$/;

/**
 * Whether a chunk job may write `key`: one of its own segments (numbered within its span) in a
 * rung of the plan, under its item's attempt. What a chunk reports is checked with this, as a
 * one-job result is checked with foreignOutputKeys.
 */
export function isChunkSegmentKey(key: string, scope: KeyScope, task: Pick<ChunkTask, "index" | "chunks" | "plan">): boolean {
  const root = `${outputKeys(scope).hlsRoot}/`;
  if (!key.startsWith(root)) return false;
  const [rung, name, ...rest] = key.slice(root.length).split("/");
  const m = name ? SEGMENT.exec(name) : null;
  if (!m || rest.length > 0 || !task.plan.rungs.some((r) => r.name === rung)) return false;
  const span = task.chunks.chunks[task.index]!;
  const next = task.chunks.chunks[task.index + 1];
  const n = Number(m[1]);
  return n >= span.firstSegment && (next === undefined || n < next.firstSegment);
}
