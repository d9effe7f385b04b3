import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { MIN_CLIP_SECONDS, originalKey } from "../contract/index.ts";
import { withDb } from "../db/client.ts";
import { registerItem } from "../http/register-item.ts";
import { authenticate } from "../http/auth.ts";
import { statusOrThrow } from "../http/command-answer.ts";
import { AppError } from "../http/errors.ts";
import type { AppEnv } from "../http/types.ts";
import { parseJson, parseMediaId } from "../http/validate.ts";
import type { Actor } from "../machine/index.ts";
import type { StatusView } from "../objects/status-view.ts";
import { configFrom } from "../config.ts";
import { readStatus, sendCommand } from "../objects/stubs.ts";
import { mediaItems } from "../../schema/index.ts";

export const clipBody = z
  .object({
    startSeconds: z.number().min(0).max(7 * 86_400).meta({ description: "Where the clip starts in the source, seconds (frame-accurate)" }),
    endSeconds: z.number().min(0).max(7 * 86_400).meta({ description: "Where it ends, seconds; at most the source's duration" }),
  })
  .refine((b) => b.endSeconds - b.startSeconds >= MIN_CLIP_SECONDS, { message: `endSeconds must be at least ${MIN_CLIP_SECONDS} s after startSeconds`, path: ["endSeconds"] })
  .meta({ example: { startSeconds: 12.5, endSeconds: 27.5 } });

/** The saved name of a clip's original: its own file, in its own folder (Matroska: any sound the source had). */
const CLIP_FILE = "clip.mkv";

/**
 * `POST /api/media/:id/clips`: a new item cut from a ready item (Mux's clips, Cloudflare
 * Stream's clipping). The clip belongs to the source's creator (an administrator may cut anyone's),
 * counts as a registration against their limits, and is triggered at once: its first job cuts
 * the range from the source's original, frame-accurately, into the clip's own original, then
 * transcodes it like any upload. Its lifecycle, webhooks and retry are its own.
 */
export const clipRoutes = new Hono<AppEnv>().post("/:id/clips", authenticate({ roles: ["creator", "admin"] }), async (c) => {
  const sourceId = parseMediaId(c.req.param("id"));
  const body = await parseJson(c.req.raw, clipBody);
  const actor = c.get("actor");
  if (actor.kind !== "user") throw new AppError(403, "FORBIDDEN", "Only a user can cut a clip");
  return c.json(await createClip(c.env, actor, sourceId, body), 201);
});

/** The clip route's work, for the RPC method too: the new item's status, or an AppError. */
export async function createClip(env: Env, actor: Extract<Actor, { kind: "user" }>, sourceId: string, body: z.infer<typeof clipBody>): Promise<StatusView> {
  // Another creator's item is not found, as everywhere else.
  const source = statusOrThrow(await readStatus(env, sourceId, actor));
  if (source.status !== "ready" || !source.output) throw new AppError(409, "INVALID_STATE", `Only a ready item can be clipped; this one is ${source.status}`);
  const length = source.output.durationSeconds;
  if (body.startSeconds >= length || body.endSeconds > length + 0.001) {
    throw new AppError(422, "OUT_OF_RANGE", `The clip ${body.startSeconds}–${body.endSeconds} s is not within the source's ${length} s`, { durationSeconds: length });
  }
  const config = configFrom(env);
  const row = await withDb(config, async (db) => (await db.select().from(mediaItems).where(eq(mediaItems.id, sourceId)).limit(1))[0]);
  if (!row || row.deletedAt) throw new AppError(404, "NOT_FOUND", "No such media item");

  const id = crypto.randomUUID();
  const name = `${row.originalFilename.replace(/\.[^.]*$/, "")} (clip ${body.startSeconds}–${body.endSeconds} s)`;
  await registerItem(
    env,
    config,
    {
      id,
      creatorId: row.creatorId,
      mediaType: row.mediaType,
      // Nothing to upload: the clip's original is made by its first job.
      status: "uploaded",
      r2Key: originalKey(row.creatorId, id, CLIP_FILE),
      originalFilename: name.slice(0, 255),
      originalSize: 0,
      contentType: `${row.mediaType}/x-matroska`,
      normalizeAudio: row.normalizeAudio,
      clipSourceMediaId: sourceId,
      clipSourceKey: row.r2Key,
      clipStartSeconds: body.startSeconds,
      clipEndSeconds: body.endSeconds,
    },
    // A clip opens no upload: only the registration counts.
    { bytes: 0, openUpload: false },
  );
  // Transcoded like any upload; a refusal here (the creator's job limits) leaves it `uploaded`, to trigger later.
  const triggered = await sendCommand(env, id, { type: "TRIGGER", actor });
  return triggered.outcome === "applied" || triggered.outcome === "ignored" ? triggered.status : statusOrThrow(await readStatus(env, id, actor));
}
