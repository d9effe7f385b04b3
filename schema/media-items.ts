import { sql } from "drizzle-orm";
import type { Download, DownloadsRequest } from "../src/contract/downloads.ts";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  real,
  smallint,
  text,
  timestamp,
  uuid,
  varchar,
} from "drizzle-orm/pg-core";

export const mediaTypeEnum = pgEnum("media_type", ["video", "audio"]);
export const mediaStatusEnum = pgEnum("media_status", ["uploading", "uploaded", "transcoding", "ready", "failed"]);
export const mezzanineStatusEnum = pgEnum("mezzanine_status", ["pending", "ready", "deleted"]);
export const transcodingPriorityEnum = pgEnum("transcoding_priority", ["immediate", "standard", "on_demand"]);

const key = (name: string) => varchar(name, { length: 500 });
const at = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/**
 * One row per media item. The upload service owns the first block; the transcoding block is a
 * projection of the item's Durable Object, written only by it and only with a higher version.
 */
export const mediaItems = pgTable(
  "media_items",
  {
    id: uuid("id").primaryKey(),
    creatorId: uuid("creator_id").notNull(),
    mediaType: mediaTypeEnum("media_type").notNull(),
    status: mediaStatusEnum("status").notNull().default("uploading"),
    r2Key: key("r2_key").notNull(),
    originalFilename: varchar("original_filename", { length: 255 }).notNull(),
    originalSize: bigint("original_size", { mode: "number" }).notNull(),
    contentType: varchar("content_type", { length: 100 }).notNull(),
    /** Registration's choice: bring every track to −16 LUFS (true), or keep the upload's level. Loudness is measured either way. */
    normalizeAudio: boolean("normalize_audio").notNull().default(true),
    /** Registration's choice of the poster frame (seconds from the start); null: 10 % of the video. `thumbnail_seconds` is the frame shown. */
    requestedThumbnailSeconds: real("requested_thumbnail_seconds"),
    /** Registration's MP4/M4A downloads (contract/downloads.ts); null: none. */
    downloadsRequested: jsonb("downloads_requested").$type<DownloadsRequest>(),
    /** A clip: the item whose original it is cut from, that original's key, and the range (seconds). Null: an upload. */
    clipSourceMediaId: uuid("clip_source_media_id"),
    clipSourceKey: key("clip_source_key"),
    clipStartSeconds: real("clip_start_seconds"),
    clipEndSeconds: real("clip_end_seconds"),
    durationSeconds: real("duration_seconds"),
    width: integer("width"),
    height: integer("height"),
    createdAt: at("created_at").notNull().defaultNow(),
    updatedAt: at("updated_at").notNull().defaultNow(),
    deletedAt: at("deleted_at"),

    hlsMasterPlaylistKey: key("hls_master_playlist_key"),
    hlsPreviewKey: key("hls_preview_key"),
    thumbnailKey: key("thumbnail_key"),
    /** The time of the thumbnail's frame (10 %, or later past a black opening). */
    thumbnailSeconds: real("thumbnail_seconds"),
    storyboardKey: key("storyboard_key"),
    storyboardVttKey: key("storyboard_vtt_key"),
    waveformKey: key("waveform_key"),
    waveformImageKey: key("waveform_image_key"),
    transcodingError: text("transcoding_error"),
    transcodingErrorCode: varchar("transcoding_error_code", { length: 40 }),
    transcodingAttempts: integer("transcoding_attempts").notNull().default(0),
    runpodJobId: varchar("runpod_job_id", { length: 100 }),
    mezzanineKey: key("mezzanine_key"),
    mezzanineStatus: mezzanineStatusEnum("mezzanine_status"),
    transcodingPriority: transcodingPriorityEnum("transcoding_priority").notNull().default("standard"),
    readyVariants: jsonb("ready_variants").$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    /** The upload's subtitle tracks and what became of each (converted to WebVTT, or skipped). */
    /** The downloads made from the ready attempt's segments: name, key, bytes, picture size. */
    downloads: jsonb("downloads").$type<Download[]>().notNull().default(sql`'[]'::jsonb`),
    subtitles: jsonb("subtitles").$type<{ language: string | null; name: string; codec: string; status: "converted" | "skipped" }[]>().notNull().default(sql`'[]'::jsonb`),
    /** EBU R128 figures ×100, rounded: LUFS, dBTP, LU. */
    loudnessIntegrated: integer("loudness_integrated"),
    loudnessPeak: integer("loudness_peak"),
    loudnessRange: integer("loudness_range"),

    projectionVersion: bigint("projection_version", { mode: "number" }).notNull().default(0),
    attemptId: uuid("attempt_id"),
    transcodingPhase: varchar("transcoding_phase", { length: 20 }),
    transcodingPercent: smallint("transcoding_percent"),
    transcodingStartedAt: at("transcoding_started_at"),
    transcodingFinishedAt: at("transcoding_finished_at"),
    encoder: varchar("encoder", { length: 20 }),
    /** A video split across workers: each chunk's encode seconds, in time order (null until it is in). Null for one job. */
    chunkEncodeSeconds: jsonb("chunk_encode_seconds").$type<(number | null)[]>(),
    /** When the attempt became playable (README "Playable while it transcodes"); set at ready at the latest. */
    playableAt: at("playable_at"),
    /** Seconds from the start a viewer can play now. */
    playableSeconds: real("playable_seconds"),
  },
  (t) => [
    check("media_items_ready_has_master", sql`${t.status} <> 'ready' OR ${t.hlsMasterPlaylistKey} IS NOT NULL`),
    check("media_items_attempts_range", sql`${t.transcodingAttempts} BETWEEN 0 AND 1`),
    check("media_items_percent_range", sql`${t.transcodingPercent} IS NULL OR ${t.transcodingPercent} BETWEEN 0 AND 100`),
    // Dashboard: counts by status, newest first within a status.
    index("media_items_status_updated_idx").on(t.status, t.updatedAt.desc()),
    // Dashboard: success rate, failure reasons and time-to-ready over 24 h / 7 d.
    index("media_items_finished_idx").on(t.transcodingFinishedAt.desc()).where(sql`${t.transcodingFinishedAt} IS NOT NULL`),
    // Dashboard: jobs in flight (few rows, read every few seconds).
    index("media_items_in_flight_idx").on(t.transcodingStartedAt).where(sql`${t.status} = 'transcoding'`),
    // A creator's library.
    index("media_items_creator_created_idx").on(t.creatorId, t.createdAt.desc()),
    // GET /api/media for an administrator: everything not deleted, newest first (keyset pages).
    index("media_items_created_idx").on(t.createdAt.desc(), t.id.desc()).where(sql`${t.deletedAt} IS NULL`),
  ],
);

export type MediaItemRow = typeof mediaItems.$inferSelect;
export type NewMediaItemRow = typeof mediaItems.$inferInsert;
