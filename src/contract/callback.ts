import { z } from "zod";
import { download } from "./downloads.ts";
import { touchUpOutput } from "./touch-up.ts";
import { fanoutTask } from "./fanout.ts";
import { mediaType } from "./job.ts";
import { renditionName } from "./renditions.ts";

export const errorCode = z.enum([
  "INPUT_NOT_FOUND",
  "INPUT_UNREADABLE",
  "NO_MEDIA_STREAMS",
  /** A single picture (PNG, JPEG…) uploaded as a video. */
  "NOT_A_VIDEO",
  "INPUT_TOO_LONG",
  /** Frames above the worker's pixel limit (a decompression bomb, or far beyond 8K). */
  "INPUT_TOO_LARGE",
  "ENCODE_FAILED",
  "UPLOAD_FAILED",
  "CANCELLED",
  "TIMED_OUT",
  "INTERNAL",
  /** Ingest from a URL (./ingest.ts): a URL the rules refuse (scheme, port, credentials, an address or a redirect to one). */
  "URL_REFUSED",
  /** The URL answered 404 or 410. */
  "URL_NOT_FOUND",
  /** The URL did not finish answering within the ingest's time. */
  "URL_TIMEOUT",
  /** The URL could not be reached, or answered with another error status. */
  "URL_UNREACHABLE",
]);
export type ErrorCode = z.infer<typeof errorCode>;

export const jobError = z.object({
  code: errorCode,
  message: z.string().max(2000),
  retriable: z.boolean(),
});
export type JobError = z.infer<typeof jobError>;

export const phase = z.enum(["downloading", "probing", "encoding", "packaging", "uploading"]);
export type Phase = z.infer<typeof phase>;

const key = z.string().min(1).max(500);

export const subtitleTrack = z.object({
  language: z.string().max(35).nullable(),
  name: z.string().max(100),
  codec: z.string().max(40),
  status: z.enum(["converted", "skipped"]),
});
export type SubtitleTrack = z.infer<typeof subtitleTrack>;

/**
 * The result of a finished job. A field that does not apply is null, never invented:
 * a silent video has loudness null, a video has no waveform keys, no archive → no mezzanine.
 */
export const jobOutput = z.object({
  mediaType,
  hlsMasterKey: key,
  hlsPreviewKey: key.nullable(),
  thumbnailKey: key.nullable(),
  waveformKey: key.nullable(),
  waveformImageKey: key.nullable(),
  mezzanineKey: key.nullable(),
  /** Seek previews for video: a sprite sheet and its WebVTT of #xywh= cues; null for audio. */
  storyboardKey: key.nullable().default(null),
  storyboardVttKey: key.nullable().default(null),
  durationSeconds: z.number().nonnegative(),
  width: z.number().int().positive().nullable(),
  height: z.number().int().positive().nullable(),
  readyVariants: z.array(z.union([renditionName, z.literal("audio")])),
  loudness: z
    .object({ integrated: z.number(), truePeak: z.number(), range: z.number() })
    .nullable(),
  encoder: z.enum(["h264_nvenc", "libx264"]).nullable(),
  /** When the thumbnail's frame is (10 % of the video, or the first frame after it that is not black); null for audio. */
  thumbnailSeconds: z.number().nonnegative().nullable().default(null),
  /** The upload's subtitle tracks: text ones became WebVTT renditions, bitmap ones were skipped. */
  subtitles: z.array(subtitleTrack).max(64).default(() => []),
  /** MP4/M4A downloads the item asked for, remuxed from its HLS segments (contract/downloads.ts). */
  downloads: z.array(download).max(8).default(() => []),
});
export type JobOutput = z.infer<typeof jobOutput>;

const envelope = {
  eventId: z.uuid(),
  attemptId: z.uuid(),
  jobId: z.string().max(100).nullable(),
  mediaId: z.uuid(),
  sentAt: z.iso.datetime({ offset: true }),
};

/** Which chunk job of a split video sends a callback: the chunk and the try (absent: the item's first job, or its stitch). */
const chunkRef = z.object({ index: z.number().int().min(0).max(9_999), try: z.number().int().min(1).max(100) });
/** Which ingest job sends a callback, and (with progress) how far its copy is. */
const ingestRef = z.object({ id: z.uuid() });
const ingestProgress = ingestRef.extend({ bytes: z.number().int().nonnegative(), totalBytes: z.number().int().nonnegative().nullable() });
/** Which touch-up job sends a callback (absent: one of the attempt's encode jobs). */
const touchUpRef = z.object({ id: z.uuid() });

/** Body of a signed callback from the GPU worker (design.md §3). */
export const callbackPayload = z.discriminatedUnion("status", [
  z.object({
    ...envelope,
    status: z.literal("progress"),
    chunk: chunkRef.optional(),
    touchUp: touchUpRef.optional(),
    ingest: ingestProgress.optional(),
    phase,
    percent: z.number().min(0).max(100),
    /** The probed duration, sent with every progress once known: the control plane derives the job's hard ceiling from it. */
    durationSeconds: z.number().nonnegative().max(7 * 86_400).nullable().optional(),
    /**
     * Seconds from the start that a viewer can play now, in every playlist this job encodes
     * (published as EVENT playlists under the attempt's HLS keys; README "Playable while it
     * transcodes"). A split video's whole-file job counts its sound only.
     */
    playableSeconds: z.number().nonnegative().max(7 * 86_400).optional(),
  }),
  z.object({ ...envelope, status: z.literal("completed"), output: jobOutput }),
  z.object({ ...envelope, status: z.literal("failed"), error: jobError, chunk: chunkRef.optional(), touchUp: touchUpRef.optional(), ingest: ingestRef.optional() }),
  /** An ingest's copy is in the item's original key: the item's upload completes (its checks run again). */
  z.object({ ...envelope, status: z.literal("ingested"), ingest: ingestRef, bytes: z.number().int().nonnegative() }),
  /** A touch-up of a ready item is done: what it made (its keys are checked like any output's). */
  z.object({ ...envelope, status: z.literal("touched-up"), touchUp: touchUpRef, output: touchUpOutput }),
  /** The first job split the video: the plan every chunk job is handed. It goes on with the whole-file work. */
  z.object({ ...envelope, status: z.literal("planned"), task: fanoutTask, durationSeconds: z.number().nonnegative().max(7 * 86_400) }),
  /** A chunk's try is encoded and uploaded (its manifest beside the plan). */
  z.object({ ...envelope, status: z.literal("chunk-completed"), chunk: chunkRef, encodeSeconds: z.number().nonnegative().max(7 * 86_400) }),
  /** The first job's whole-file work of a split video is done and uploaded (its parts beside the plan). */
  z.object({ ...envelope, status: z.literal("rest-completed") }),
]);
export type CallbackPayload = z.infer<typeof callbackPayload>;

/**
 * What the worker hands back to RunPod as the job's output, so that RunPod's `/status`
 * tells the same story as the callback when the control plane reconciles.
 */
export const jobResult = z.discriminatedUnion("status", [
  z.object({ status: z.literal("completed"), attemptId: z.uuid(), output: jobOutput }),
  z.object({ status: z.literal("failed"), attemptId: z.uuid(), error: jobError }),
  /** A split video's first job or a chunk job: its part is done; the item is finished by the stitch. */
  z.object({ status: z.literal("part-completed"), attemptId: z.uuid() }),
  /** A touch-up of a ready item. */
  z.object({ status: z.literal("touched-up"), attemptId: z.uuid(), touchUpId: z.uuid(), output: touchUpOutput }),
  /** An ingest from a URL. */
  z.object({ status: z.literal("ingested"), attemptId: z.uuid(), ingestId: z.uuid(), bytes: z.number().int().nonnegative() }),
]);
export type JobResult = z.infer<typeof jobResult>;
