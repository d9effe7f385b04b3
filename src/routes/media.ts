import { Hono } from "hono";
import { z } from "zod";
import { mediaType, originalKey } from "../contract/index.ts";
import { withDb } from "../db/client.ts";
import { S3ObjectStore } from "../effects/object-store.ts";
import { authenticate } from "../http/auth.ts";
import { AppError } from "../http/errors.ts";
import type { AppEnv } from "../http/types.ts";
import { parseJson, parseMediaId } from "../http/validate.ts";
import { statusOrThrow } from "../http/command-answer.ts";
import { creatorObject, readStatus, sendCommand } from "../objects/stubs.ts";
import type { Admission } from "../machine/index.ts";
import { mediaItems } from "../../schema/index.ts";

const MAX_ORIGINAL_BYTES = 20 * 1024 ** 3;
const UPLOAD_URL_TTL_SECONDS = 3600;

/** No control bytes (NUL cannot be stored in Postgres text at all; the rest has no place in a name). */
const printable = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);

// Lengths are the columns' (schema/media-items.ts): a value the row cannot hold is the client's error, not an outage.
const registerBody = z
  .object({
    mediaType,
    filename: z.string().min(1).max(255).refine(printable, "must not contain control characters"),
    size: z.number().int().positive().max(MAX_ORIGINAL_BYTES),
    contentType: z.string().max(100).regex(/^(video|audio)\/[\w.+-]+$/, "must be a video/* or audio/* type"),
  })
  .refine((b) => b.contentType.startsWith(`${b.mediaType}/`) || (b.mediaType === "audio" && b.contentType === "video/mp4"), {
    message: "contentType does not match mediaType",
    path: ["contentType"],
  });

/** Keys are paths: keep the name readable but free of separators and odd bytes. */
export function safeFilename(name: string): string {
  const cleaned = name.normalize("NFKC").replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+/, "");
  return (cleaned || "original").slice(-200);
}

export const mediaRoutes = new Hono<AppEnv>()
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
    const uploadUrl = await new S3ObjectStore(config.s3).presignPut(key, body.contentType, UPLOAD_URL_TTL_SECONDS);
    return c.json(
      {
        id,
        status: "uploading",
        upload: {
          method: "PUT",
          url: uploadUrl,
          headers: { "content-type": body.contentType },
          expiresAt: new Date(Date.now() + UPLOAD_URL_TTL_SECONDS * 1000).toISOString(),
        },
      },
      201,
    );
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
  .get("/:id/transcoding-status", authenticate({ roles: ["creator", "admin"], service: true }), async (c) => {
    const id = parseMediaId(c.req.param("id"));
    return c.json(statusOrThrow(await readStatus(c.env, id, c.get("actor"))));
  });
