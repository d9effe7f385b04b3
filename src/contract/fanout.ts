import { z } from "zod";
import { touchUpTask } from "./touch-up.ts";
import { ingestTask } from "./ingest.ts";
import { renditionName } from "./renditions.ts";
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
  /** The bytes of the original the chunk reads (an MP4/MOV by its index); absent: the whole file. */
  bytes: z.array(z.object({ start: z.number().int().min(0), end: z.number().int().min(1) }).refine((r) => r.end > r.start, "end must follow start")).min(1).max(1024).optional(),
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

/** How the split was planned (by the item's first job): what every chunk job is handed, unchanged. */
export const fanoutTask = z.object({
  plan: videoPlan,
  chunks: chunkPlan,
  storyboard: storyboardPlan,
  /** The demuxer the plan's probe decided: a chunk opens the original with it and no other. */
  demuxer: z.string().regex(/^[a-z0-9_,]{1,64}$/),
  /** The item's length (its picture's), seconds. */
  length: z.number().positive().max(7 * 86_400),
  /** Whether the chunks also encode their spans of the mezzanine's picture (an original that cannot be remuxed). */
  mezzanine: z.boolean().default(false),
  /** The original's size in bytes, when the chunks fetch only their byte ranges of it (checked before they do). */
  sourceSize: z.number().int().positive().optional(),
});
export type FanoutTask = z.infer<typeof fanoutTask>;

/** Everything a chunk job needs besides the item's own fields: which frames, how to encode them, which try it is. */
export const chunkTask = fanoutTask
  .extend({
    kind: z.literal("chunk"),
    index: int(0, 9_999),
    /** Tries of one chunk are numbered from 1: a superseded try's callbacks and files are told apart. */
    try: int(1, 100).default(1),
  })
  .refine((t) => t.index < t.chunks.chunks.length, { message: "index must name a chunk of the plan", path: ["index"] });
export type ChunkTask = z.infer<typeof chunkTask>;

/** The job that writes the playlists and assembles what the chunks made in parts, once every chunk is in. */
export const stitchTask = z.object({
  kind: z.literal("stitch"),
  /** For each chunk in order, the try whose files the item accepted. */
  tries: z.array(int(1, 100)).min(1).max(10_000),
});
export type StitchTask = z.infer<typeof stitchTask>;

export const jobTask = z.union([chunkTask, stitchTask, touchUpTask, ingestTask]);
export type JobTask = z.infer<typeof jobTask>;

/** When the item's first job splits a video, and how (FANOUT_MIN_SECONDS, FANOUT_MAX_WORKERS, FANOUT_CHUNK_SECONDS). */
export const fanoutPolicy = z.object({
  minSeconds: z.number().min(0).max(7 * 86_400),
  maxWorkers: int(1, 1000),
  chunkSeconds: z.number().min(1).max(3600),
});
export type FanoutPolicyInput = z.infer<typeof fanoutPolicy>;

/** A chunk job's account of its try, written beside the plan for the stitch: its segments and tiles. */
export const chunkManifest = z.object({
  index: int(0, 9_999),
  try: int(1, 100),
  encoder: z.enum(["h264_nvenc", "libx264"]),
  seconds: z.number().nonnegative(),
  segments: z.partialRecord(renditionName, z.array(z.object({ uri: z.string().regex(/^seg_\d{5}\.ts$/), duration: z.number().positive().max(3600), bytes: z.number().int().nonnegative().max(2 ** 40) })).max(100_000)),
  tiles: z.array(z.string().regex(/^tile_\d{4}\.png$/)).max(1000),
});
export type ChunkManifest = z.infer<typeof chunkManifest>;

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/**
 * The split's working files in the media bucket, per attempt, outside anything a viewer's token
 * opens (the HLS folder is served whole): the plan, the whole-file job's parts, each chunk try's
 * manifest, tiles and mezzanine part. Removed by the stitch, and with the item.
 */
export function fanoutKeys({ creatorId, mediaId, attemptId }: KeyScope) {
  const root = `${creatorId}/fanout/${mediaId}/${attemptId}`;
  const tryDir = (index: number, tryNo: number) => `${root}/chunk_${pad(index, 5)}_try${tryNo}`;
  return {
    root,
    plan: `${root}/plan.json`,
    rest: `${root}/rest.json`,
    mezzanineAudio: `${root}/mezzanine_audio.m4a`,
    manifest: (index: number, tryNo: number) => `${tryDir(index, tryNo)}/manifest.json`,
    tile: (index: number, tryNo: number, name: string) => `${tryDir(index, tryNo)}/${name}`,
    mezzaninePart: (index: number, tryNo: number) => `${tryDir(index, tryNo)}/mezzanine.ts`,
  };
}

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
