import { Hono } from "hono";
import { z } from "zod";
import { mediaType, originalKey } from "../contract/index.ts";
import { withDb } from "../db/client.ts";
import { authenticate } from "../http/auth.ts";
import { AppError } from "../http/errors.ts";
import type { AppEnv } from "../http/types.ts";
import { parseJson, parseMediaId, parseQuery } from "../http/validate.ts";
import { statusOrThrow, uploadOrThrow } from "../http/command-answer.ts";
import { creatorObject, mediaObject, readStatus, sendCommand } from "../objects/stubs.ts";
import type { Actor, Admission } from "../machine/index.ts";
import { mediaItems } from "../../schema/index.ts";
import { decodeCursor, listMedia } from "../db/list-media.ts";
import { mintPlaybackToken } from "../http/playback-token.ts";
import { configFrom, type Config } from "../config.ts";

const MAX_ORIGINAL_BYTES = 20 * 1024 ** 3;
/** Part URLs are asked for in batches of at most this many. */
const MAX_PARTS_PER_REQUEST = 100;
export const partsBody = z.object({ partNumbers: z.array(z.number().int().min(1).max(10_000)).min(1).max(MAX_PARTS_PER_REQUEST) }).meta({ example: { partNumbers: [1, 2, 3, 4] } });

/** No control bytes (NUL cannot be stored in Postgres text at all; the rest has no place in a name). */
const printable = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);

// Lengths are the columns' (schema/media-items.ts): a value the row cannot hold is the client's error, not an outage.
export const registerBody = z
  .object({
    mediaType,
    filename: z.string().min(1).max(255).refine(printable, "must not contain control characters"),
    size: z.number().int().positive().max(MAX_ORIGINAL_BYTES),
    contentType: z.string().max(100).regex(/^(video|audio)\/[\w.+-]+$/, "must be a video/* or audio/* type"),
  })
  .refine((b) => b.contentType.startsWith(`${b.mediaType}/`) || (b.mediaType === "audio" && b.contentType === "video/mp4"), {
    message: "contentType does not match mediaType",
    path: ["contentType"],
  })
  .meta({ example: { mediaType: "video", filename: "holiday.mp4", size: 734003200, contentType: "video/mp4" } });

/** Keys are paths: keep the name readable but free of separators and odd bytes. */
export function safeFilename(name: string): string {
  const cleaned = name.normalize("NFKC").replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+/, "");
  return (cleaned || "original").slice(-200);
}

const MAX_PLAYBACK_SECONDS = 7 * 86_400;
export const playbackTokenBody = z.object({
  /** The token's life; an hour unless told (a minute to a week). */
  expiresInSeconds: z.number().int().min(60).max(MAX_PLAYBACK_SECONDS).default(3600),
  /** Who will watch (the Access Service's id for them): carried in the token, for its logs. */
  viewerId: z.string().min(1).max(128).regex(/^[\w.@:-]+$/).optional(),
}).meta({ example: { expiresInSeconds: 3600, viewerId: "viewer-7f3a" } });

export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(200).optional(),
  status: z.enum(["uploading", "uploaded", "transcoding", "ready", "failed"]).optional(),
  mediaType: z.enum(["video", "audio"]).optional(),
  /** An administrator may narrow the list to one creator. */
  creatorId: z.uuid().optional(),
});

/** One page of the list for this creator (null: everyone's), as the route and the RPC method answer it. */
export function mediaPage(config: Config, creatorId: string | null, q: z.infer<typeof listQuery>) {
  const cursor = q.cursor === undefined ? null : decodeCursor(q.cursor);
  if (q.cursor !== undefined && !cursor) throw new AppError(400, "INVALID_QUERY", "cursor is not one this API gave out");
  return withDb(config, (db) => listMedia(db, { creatorId, status: q.status, mediaType: q.mediaType, limit: q.limit, cursor }));
}

/** A playback token and its URLs for an item the caller may read (the route's and the RPC method's answer). */
export async function playbackGrant(env: Env, actor: Actor, mediaId: string, body: z.infer<typeof playbackTokenBody>, origin: string) {
  const status = statusOrThrow(await readStatus(env, mediaId, actor));
  const { token, expiresAt } = await mintPlaybackToken(configFrom(env), mediaId, body.expiresInSeconds, body.viewerId ?? null);
  const base = `${origin}/play/${token}`;
  return {
    mediaId,
    status: status.status,
    token,
    expiresAt,
    urls: {
      hls: `${base}/master.m3u8`,
      preview: status.mediaType === "video" ? `${base}/preview/preview.m3u8` : null,
      thumbnail: `${base}/thumbnail.jpg`,
      storyboard: status.mediaType === "video" ? `${base}/storyboard.vtt` : null,
      waveform: status.mediaType === "audio" ? `${base}/waveform.json` : null,
    },
  };
}

export const mediaRoutes = new Hono<AppEnv>()
  // A creator's own items, or (an administrator) everyone's: newest first, a page at a time.
  .get("/", authenticate({ roles: ["creator", "admin"] }), async (c) => {
    const q = parseQuery(c.req.query(), listQuery);
    const actor = c.get("actor");
    if (actor.kind !== "user") throw new AppError(403, "FORBIDDEN", "Only a user has a media list");
    if (q.creatorId && actor.role !== "admin") throw new AppError(403, "FORBIDDEN", "Only an administrator may list another creator's media");
    const page = await mediaPage(c.get("config"), actor.role === "admin" ? (q.creatorId ?? null) : actor.userId, q);
    c.header("cache-control", "private, no-store");
    return c.json(page);
  })
  .post("/", authenticate({ roles: ["creator", "admin"] }), async (c) => {
    const body = await parseJson(c.req.raw, registerBody);
    const actor = c.get("actor");
    if (actor.kind !== "user") throw new AppError(403, "FORBIDDEN", "Only a user can own media");
    const config = c.get("config");
    const id = crypto.randomUUID();
    const key = originalKey(actor.userId, id, safeFilename(body.filename));
    // The declared size counts against the creator's daily upload allowance before anything is created.
    const creator = creatorObject(c.env, actor.userId);
    const room = (await creator.reserveUpload(id, body.size)) as Admission;
    if (!room.ok) {
      throw new AppError(429, "RATE_LIMITED", room.message, { retryAfterSeconds: room.retryAfterSeconds }, { "retry-after": String(room.retryAfterSeconds) });
    }
    try {
      await withDb(config, (db) =>
        db.insert(mediaItems).values({
          id,
          creatorId: actor.userId,
          mediaType: body.mediaType,
          status: "uploading",
          r2Key: key,
          originalFilename: body.filename,
          originalSize: body.size,
          contentType: body.contentType,
        }),
      );
    } catch (error) {
      // Nothing was created: nothing is counted.
      await creator.refundUpload(id).catch(() => {});
      throw error;
    }
    const { upload } = uploadOrThrow(await mediaObject(c.env, id).upload(id, actor, { kind: "start", declared: { originalSize: body.size, contentType: body.contentType } }));
    return c.json({ id, status: "uploading", upload }, 201);
  })
  // The resumable upload: start it again (after its TTL, or a refused completion), or see what is there.
  .post("/:id/upload", authenticate({ roles: ["creator", "admin"], service: true }), async (c) => {
    const id = parseMediaId(c.req.param("id"));
    return c.json(uploadOrThrow(await mediaObject(c.env, id).upload(id, c.get("actor"), { kind: "start" })).upload);
  })
  .get("/:id/upload", authenticate({ roles: ["creator", "admin"], service: true }), async (c) => {
    const id = parseMediaId(c.req.param("id"));
    c.header("cache-control", "no-store");
    return c.json(uploadOrThrow(await mediaObject(c.env, id).upload(id, c.get("actor"), { kind: "status" })).upload);
  })
  // Presigned URLs for a batch of parts; the client PUTs each part's bytes to its URL, in any order.
  .post("/:id/upload/parts", authenticate({ roles: ["creator", "admin"], service: true }), async (c) => {
    const id = parseMediaId(c.req.param("id"));
    const body = await parseJson(c.req.raw, partsBody);
    const answer = uploadOrThrow(await mediaObject(c.env, id).upload(id, c.get("actor"), { kind: "parts", partNumbers: [...new Set(body.partNumbers)] }));
    return c.json({ uploadId: answer.upload.uploadId, partSize: answer.upload.partSize, parts: answer.parts ?? [], expiresAt: answer.urlsExpireAt });
  })
  .post("/:id/upload-complete", authenticate({ roles: ["creator", "admin"], service: true }), async (c) => {
    const id = parseMediaId(c.req.param("id"));
    return c.json(statusOrThrow(await sendCommand(c.env, id, { type: "UPLOAD_COMPLETE", actor: c.get("actor") })));
  })
  .post("/:id/transcode", authenticate({ roles: ["creator", "admin"], service: true }), async (c) => {
    const id = parseMediaId(c.req.param("id"));
    return c.json(statusOrThrow(await sendCommand(c.env, id, { type: "TRIGGER", actor: c.get("actor") })), 202);
  })
  .post("/:id/retry-transcoding", authenticate({ roles: ["creator", "admin"], service: true }), async (c) => {
    const id = parseMediaId(c.req.param("id"));
    const result = await sendCommand(c.env, id, { type: "RETRY", actor: c.get("actor") });
    return c.json(statusOrThrow(result), 202);
  })
  .post("/:id/cancel-transcoding", authenticate({ roles: ["admin"] }), async (c) => {
    const id = parseMediaId(c.req.param("id"));
    return c.json(statusOrThrow(await sendCommand(c.env, id, { type: "CANCEL", actor: c.get("actor") })));
  })
  // Deleting ends the item for good: its job is cancelled, its files go from every bucket, its row
  // says deletedAt; from then on every route answers 404 for it.
  .delete("/:id", authenticate({ roles: ["creator", "admin"] }), async (c) => {
    const id = parseMediaId(c.req.param("id"));
    statusOrThrow(await sendCommand(c.env, id, { type: "DELETE", actor: c.get("actor") }));
    return c.body(null, 204);
  })
  // A short-lived signed URL for viewers of one item (a Mux signed playback id, a Cloudflare Stream signed URL).
  .post("/:id/playback-token", authenticate({ roles: ["creator", "admin"], service: true }), async (c) => {
    const id = parseMediaId(c.req.param("id"));
    const body = c.req.header("content-length") === "0" || !c.req.header("content-type") ? playbackTokenBody.parse({}) : await parseJson(c.req.raw, playbackTokenBody);
    return c.json(await playbackGrant(c.env, c.get("actor"), id, body, new URL(c.req.url).origin), 201);
  })
  .get("/:id/transcoding-status", authenticate({ roles: ["creator", "admin"], service: true }), async (c) => {
    const id = parseMediaId(c.req.param("id"));
    return c.json(statusOrThrow(await readStatus(c.env, id, c.get("actor"))));
  });
