import { z } from "zod";

/**
 * The shapes the API answers with, for the OpenAPI document (requests are described by the very
 * schemas the routes validate with, exported from src/routes/). A test checks real answers
 * against these, so the document cannot drift from what the API says.
 */
const iso = z.string().meta({ format: "date-time" });
const keyOrNull = z.string().nullable();

export const errorEnvelope = z
  .object({ error: z.object({ code: z.string(), message: z.string(), requestId: z.string(), details: z.unknown().optional() }) })
  .meta({ id: "Error", example: { error: { code: "NOT_FOUND", message: "No such media item", requestId: "b1946ac9-2f1e-4b7a-9a41-0b3b5f1b9d10" } } });

export const mediaStatus = z
  .object({
    mediaId: z.uuid(),
    mediaType: z.enum(["video", "audio"]),
    status: z.enum(["uploading", "uploaded", "transcoding", "ready", "failed", "deleted"]),
    phase: z.string().nullable(),
    percent: z.number().min(0).max(100),
    normalizeAudio: z.boolean().describe("Registration's choice: false keeps the upload's loudness (still measured: `loudness`)."),
    ingest: z
      .object({
        status: z.enum(["running", "failed", "done"]),
        origin: z.string().nullable(),
        bytes: z.number().int(),
        totalBytes: z.number().int().nullable(),
        error: z.object({ code: z.string(), message: z.string() }).nullable(),
      })
      .nullable()
      .describe("An original copied from a URL (POST /api/media with url): how far, done, or why it failed (URL_REFUSED, URL_NOT_FOUND, INPUT_TOO_LARGE, URL_TIMEOUT, URL_UNREACHABLE, INPUT_UNREADABLE); null for an upload."),
    touchUp: z
      .object({
        id: z.uuid(),
        status: z.enum(["running", "failed"]),
        request: z.object({ thumbnailSeconds: z.number().optional(), downloads: z.object({ mp4: z.enum(["none", "highest", "all"]), audio: z.boolean() }).optional() }),
        requestedAt: iso,
        error: z.object({ code: z.string(), message: z.string() }).nullable(),
      })
      .nullable()
      .describe("A ready item's touch-up (POST /api/media/{id}/thumbnail or /downloads): running, or the last one that failed; null once done (the outputs show it, and media.updated told the platform)."),
    clip: z
      .object({ sourceMediaId: z.uuid(), startSeconds: z.number(), endSeconds: z.number() })
      .nullable()
      .describe("A clip (POST /api/media/{id}/clips): the item it was cut from and the range; null for an upload."),
    downloadsRequested: z.object({ mp4: z.enum(["none", "highest", "all"]), audio: z.boolean() }).nullable().describe("Registration's downloads; null: none."),
    downloads: z
      .array(z.object({ name: z.string().describe("1080p.mp4 … 360p.mp4, audio.m4a"), bytes: z.number().int(), width: z.number().int().nullable(), height: z.number().int().nullable() }))
      .describe("The downloads made (with ready): each at /play/{token}/download/{name}, with Content-Disposition and byte ranges."),
    requestedThumbnailSeconds: z.number().nullable().describe("Registration's poster frame, seconds from the start (null: 10 % of the video); `output.thumbnailSeconds` is the frame shown."),
    retriesUsed: z.number().int(),
    retriesLeft: z.number().int(),
    attemptId: z.uuid().nullable(),
    jobId: z.string().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    output: z
      .object({
        hlsMasterKey: z.string(),
        hlsPreviewKey: keyOrNull,
        thumbnailKey: keyOrNull,
        waveformKey: keyOrNull,
        waveformImageKey: keyOrNull,
        mezzanineKey: keyOrNull,
        storyboardKey: keyOrNull.optional(),
        storyboardVttKey: keyOrNull.optional(),
        thumbnailSeconds: z.number().nullable().optional(),
        subtitles: z.array(z.object({ language: z.string().nullable(), name: z.string(), codec: z.string(), status: z.enum(["converted", "skipped"]) })).optional(),
        durationSeconds: z.number(),
        width: z.number().int().nullable(),
        height: z.number().int().nullable(),
        encoder: z.string().nullable(),
      })
      .nullable(),
    readyVariants: z.array(z.string()),
    loudness: z.object({ integrated: z.number(), truePeak: z.number(), range: z.number() }).nullable(),
    startedAt: iso.nullable(),
    finishedAt: iso.nullable(),
    deadlineAt: iso.nullable(),
    lastActivityAt: iso.nullable(),
    hardDeadlineAt: iso.nullable(),
    dispatchUnconfirmed: z.boolean(),
    playableAt: iso
      .nullable()
      .describe("When the attempt became playable: a playback token plays it while it still encodes (growing EVENT playlists). Null until then, and for a failed item."),
    playableSeconds: z.number().describe("Seconds from the start a viewer can play now; the item's duration once ready."),
    chunks: z
      .object({ count: z.number().int(), done: z.number().int(), encodeSeconds: z.array(z.number().nullable()), stitching: z.boolean() })
      .nullable()
      .describe("A long video split across workers: its chunks, how many are in, each one's encode seconds (null: not yet). Null for one job."),
    version: z.number().int(),
  })
  .meta({ id: "MediaStatus" });

export const uploadInfo = z
  .object({
    uploadId: z.string(),
    size: z.number().int(),
    partSize: z.number().int(),
    partCount: z.number().int(),
    expiresAt: iso,
    parts: z.array(z.object({ partNumber: z.number().int(), size: z.number().int() })).optional(),
  })
  .meta({ id: "Upload", example: { uploadId: "2~kq8tJ3", size: 734003200, partSize: 16777216, partCount: 44, expiresAt: "2026-12-04T09:00:00.000Z" } });

export const registered = z.object({ id: z.uuid(), status: z.literal("uploading"), upload: uploadInfo }).meta({ id: "Registered" });
/** Registered with a URL: the copy has begun (or its dispatch failed: then `ingest` says why). */
export const registeredFromUrl = z
  .object({ id: z.uuid(), status: z.literal("uploading"), ingest: mediaStatus.shape.ingest })
  .meta({ id: "RegisteredFromUrl" });

export const partUrls = z
  .object({
    uploadId: z.string(),
    partSize: z.number().int(),
    parts: z.array(z.object({ partNumber: z.number().int(), url: z.url() })),
    expiresAt: iso.optional(),
  })
  .meta({ id: "PartUrls" });

export const mediaListItem = z.object({
  id: z.uuid(),
  creatorId: z.uuid(),
  mediaType: z.enum(["video", "audio"]),
  status: z.enum(["uploading", "uploaded", "transcoding", "ready", "failed"]),
  filename: z.string(),
  size: z.number().int(),
  contentType: z.string(),
  durationSeconds: z.number().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  percent: z.number().int().nullable(),
  errorCode: z.string().nullable(),
  readyVariants: z.array(z.string()),
  createdAt: iso,
  updatedAt: iso,
});
export const mediaPage = z.object({ items: z.array(mediaListItem), nextCursor: z.string().nullable() }).meta({ id: "MediaPage" });

export const playbackToken = z
  .object({
    mediaId: z.uuid(),
    status: mediaStatus.shape.status,
    token: z.string(),
    expiresAt: iso,
    urls: z.object({
      hls: z.url(),
      preview: z.url().nullable(),
      thumbnail: z.url(),
      storyboard: z.url().nullable(),
      waveform: z.url().nullable(),
      downloads: z.record(z.string(), z.string()).describe("A ready item's downloads by name (1080p.mp4 … audio.m4a): each URL saves the file, with byte ranges"),
    }),
  })
  .meta({ id: "PlaybackToken" });

export const deliveryLog = z
  .object({
    mediaId: z.uuid(),
    subscribers: z.array(z.string()),
    deliveries: z.array(
      z.object({
        messageId: z.string(),
        type: z.string(),
        subscriber: z.string(),
        outcome: z.enum(["pending", "delivered", "given_up"]),
        queuedAt: iso,
        settledAt: iso.nullable(),
        nextAttemptAt: iso.nullable(),
        failures: z.number().int(),
        attempts: z.array(z.object({ at: iso, ms: z.number(), status: z.number().int().nullable(), error: z.string().nullable() })),
      }),
    ),
  })
  .meta({ id: "DeliveryLog" });

export const callbackAnswer = z.object({ outcome: z.string(), status: z.string().optional(), code: z.string().optional() }).meta({ id: "CallbackAnswer" });
