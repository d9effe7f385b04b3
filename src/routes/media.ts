import { Hono } from "hono";
import { z } from "zod";
import { downloadsRequest, mediaType, originalKey, urlRefusal, wantsDownloads, type DownloadsRequest } from "../contract/index.ts";
import type { Config } from "../config.ts";
import { registerItem } from "../http/register-item.ts";
import { authenticate } from "../http/auth.ts";
import { AppError } from "../http/errors.ts";
import type { AppEnv } from "../http/types.ts";
import { parseBody, parseJson, parseMediaId, parseQuery } from "../http/validate.ts";
import { statusOrThrow, uploadOrThrow } from "../http/command-answer.ts";
import { mediaObject, readStatus, sendCommand } from "../objects/stubs.ts";
import type { Actor } from "../machine/index.ts";
import { listQuery, mediaPage } from "../http/media-page.ts";
import { playbackGrant, playbackTokenBody } from "../http/playback-grant.ts";

const MAX_ORIGINAL_BYTES = 20 * 1024 ** 3;
/** The longest an item may be (the worker refuses longer): a time past it names no frame. */
const MAX_SECONDS = 24 * 3600;
/** Part URLs are asked for in batches of at most this many. */
const MAX_PARTS_PER_REQUEST = 100;
export const partsBody = z.object({ partNumbers: z.array(z.number().int().min(1).max(10_000)).min(1).max(MAX_PARTS_PER_REQUEST) }).meta({ example: { partNumbers: [1, 2, 3, 4] } });

/** No control bytes (NUL cannot be stored in Postgres text at all; the rest has no place in a name). */
const printable = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);

// Lengths are the columns' (schema/media-items.ts): a value the row cannot hold is the client's error, not an outage.
export const registerBody = z
  .object({
    mediaType,
    filename: z.string().min(1).max(255).refine(printable, "must not contain control characters").meta({ description: "The original's name, 1–255 characters, no control characters" }),
    size: z.number().int().positive().max(MAX_ORIGINAL_BYTES),
    contentType: z
      .string()
      .max(100)
      .regex(/^(video|audio)\/[\w.+-]+$/, "must be a video/* or audio/* type")
      .meta({ description: "A video/* type for mediaType video; an audio/* type (or video/mp4, an M4A's common label) for audio" }),
    normalizeAudio: z
      .boolean()
      .default(true)
      .meta({ description: "Bring every audio track to −16 LUFS integrated, −1.5 dBTP (default), or keep the upload's own level (a music platform's choice). Loudness is measured and reported either way." }),
    downloads: downloadsRequest
      .optional()
      .meta({ description: "MP4/M4A downloads to make once ready, remuxed from the HLS segments (no second encode): `mp4` none, highest or all rungs; `audio` an M4A of the main sound" }),
    thumbnailSeconds: z
      .number()
      .min(0)
      .max(MAX_SECONDS)
      .optional()
      .meta({ description: "The poster frame, seconds from the start (Mux's thumbnail_time). Left out: 10 % of the video. Past the end: the last frame. A black frame there gives the first frame after it that is not black (within 10 s)." }),
  })
  .refine((b) => b.contentType.startsWith(`${b.mediaType}/`) || (b.mediaType === "audio" && b.contentType === "video/mp4"), {
    message: "contentType does not match mediaType",
    path: ["contentType"],
  })
  .meta({ example: { mediaType: "video", filename: "holiday.mp4", size: 734003200, contentType: "video/mp4" } });

export const thumbnailBody = z
  .object({ seconds: z.number().min(0).max(MAX_SECONDS).meta({ description: "The new poster frame, seconds from the start (past the end: the last frame; black: the first frame after it that is not)" }) })
  .meta({ example: { seconds: 42.5 } });
export const downloadsBody = downloadsRequest
  .refine((d) => d.mp4 !== "none" || d.audio, { message: "ask for an MP4 or the M4A" })
  .meta({ example: { mp4: "highest", audio: true } });

/**
 * Registration with a URL instead of an upload (Mux's `inputs[].url`, Cloudflare's `/stream/copy`):
 * the original is copied from it by a job (src/contract/ingest.ts), then the item is `uploaded`
 * (and transcoded, with `transcode`). The same choices as an upload's.
 */
export const ingestBody = z
  .object({
    mediaType,
    url: z.string().min(1).max(2048).meta({ description: "An http or https URL on its default port, no credentials; every address it resolves to and every redirect must be public" }),
    filename: z.string().min(1).max(255).refine(printable, "must not contain control characters").optional().meta({ description: "The original's name (default: the URL's last path segment)" }),
    maxBytes: z.number().int().positive().max(MAX_ORIGINAL_BYTES).optional().meta({ description: "The most to copy (default INGEST_MAX_BYTES, 20 GiB); counted against the creator's daily allowance" }),
    transcode: z.boolean().default(false).meta({ description: "Start transcoding once the copy is in" }),
    normalizeAudio: z.boolean().default(true),
    thumbnailSeconds: z.number().min(0).max(MAX_SECONDS).optional(),
    downloads: downloadsRequest.optional(),
  })
  .meta({ example: { mediaType: "video", url: "https://media.example.com/holiday.mp4", transcode: true } });

/** The name an ingested original is saved under: the URL's last path segment, or "original". */
const urlFilename = (url: string) => {
  try {
    return decodeURIComponent(new URL(url).pathname.split("/").pop() ?? "") || "original";
  } catch {
    return "original";
  }
};

/** Keys are paths: keep the name readable but free of separators and odd bytes. */
export function safeFilename(name: string): string {
  const cleaned = name.normalize("NFKC").replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+/, "");
  return (cleaned || "original").slice(-200);
}

/** The registration's choices as the row keeps them (an upload's and a URL's alike). */
const choicesOf = (b: { normalizeAudio: boolean; thumbnailSeconds?: number; downloads?: DownloadsRequest }) => ({
  normalizeAudio: b.normalizeAudio,
  requestedThumbnailSeconds: b.thumbnailSeconds ?? null,
  downloadsRequested: wantsDownloads(b.downloads) ? b.downloads! : null,
});

/**
 * POST /api/media's work, for the RPC method too: with `url`, an item whose original is copied
 * from it; otherwise one whose original the client uploads (its resumable upload opened).
 */
export async function registerMedia(env: Env, config: Config, actor: Extract<Actor, { kind: "user" }>, raw: Record<string, unknown>) {
  if ("url" in raw) return registerFromUrl(env, config, actor, parseBody(raw, ingestBody));
  const body = parseBody(raw, registerBody);
  const id = crypto.randomUUID();
  // The declared size counts against the creator's daily upload allowance before anything is created.
  await registerItem(
    env,
    config,
    {
      id,
      creatorId: actor.userId,
      mediaType: body.mediaType,
      status: "uploading",
      r2Key: originalKey(actor.userId, id, safeFilename(body.filename)),
      originalFilename: body.filename,
      originalSize: body.size,
      contentType: body.contentType,
      ...choicesOf(body),
    },
    { bytes: body.size, openUpload: true },
  );
  const { upload } = uploadOrThrow(await mediaObject(env, id).upload(id, actor, { kind: "start", declared: { originalSize: body.size, contentType: body.contentType } }));
  return { id, status: "uploading" as const, upload };
}

/** A registration whose original is copied from a URL: the URL's rules first (400), then as an upload's registration, then the copy asked of the item's object. */
export async function registerFromUrl(env: Env, config: Config, actor: Extract<Actor, { kind: "user" }>, body: z.infer<typeof ingestBody>) {
  const refused = urlRefusal(body.url, config.ingest.allowHosts);
  if (refused) throw new AppError(400, "URL_REFUSED", `The URL is not fetched: ${refused}`);
  const id = crypto.randomUUID();
  const filename = body.filename ?? urlFilename(body.url);
  const maxBytes = Math.min(body.maxBytes ?? config.ingest.maxBytes, MAX_ORIGINAL_BYTES);
  await registerItem(
    env,
    config,
    {
      id,
      creatorId: actor.userId,
      mediaType: body.mediaType,
      status: "uploading",
      r2Key: originalKey(actor.userId, id, safeFilename(filename)),
      originalFilename: filename.slice(0, 255),
      // What may come: the copy's own size is checked as it goes.
      originalSize: maxBytes,
      contentType: `${body.mediaType}/*`,
      ...choicesOf(body),
    },
    // No client upload is open: only the registration and its bytes count.
    { bytes: maxBytes, openUpload: false },
  );
  const started = statusOrThrow(await sendCommand(env, id, { type: "INGEST", actor, url: body.url, maxBytes, transcode: body.transcode }));
  return { id, status: started.status, ingest: started.ingest };
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
    const raw = await parseJson(c.req.raw, z.record(z.string(), z.unknown()));
    const actor = c.get("actor");
    if (actor.kind !== "user") throw new AppError(403, "FORBIDDEN", "Only a user can own media");
    return c.json(await registerMedia(c.env, c.get("config"), actor, raw), 201);
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
  // Touch-ups of a ready item (src/machine/touch-up.ts): a small job, the item stays ready; media.updated when done.
  .post("/:id/thumbnail", authenticate({ roles: ["creator", "admin"], service: true }), async (c) => {
    const id = parseMediaId(c.req.param("id"));
    const body = await parseJson(c.req.raw, thumbnailBody);
    return c.json(statusOrThrow(await sendCommand(c.env, id, { type: "TOUCH_UP", actor: c.get("actor"), request: { thumbnailSeconds: body.seconds } })), 202);
  })
  .post("/:id/downloads", authenticate({ roles: ["creator", "admin"], service: true }), async (c) => {
    const id = parseMediaId(c.req.param("id"));
    const body = await parseJson(c.req.raw, downloadsBody);
    return c.json(statusOrThrow(await sendCommand(c.env, id, { type: "TOUCH_UP", actor: c.get("actor"), request: { downloads: body } })), 202);
  })
  .get("/:id/transcoding-status", authenticate({ roles: ["creator", "admin"], service: true }), async (c) => {
    const id = parseMediaId(c.req.param("id"));
    return c.json(statusOrThrow(await readStatus(c.env, id, c.get("actor"))));
  });
