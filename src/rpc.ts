import { WorkerEntrypoint } from "cloudflare:workers";
import { z } from "zod";
import { AppError } from "./http/errors.ts";
import { statusOrThrow } from "./http/command-answer.ts";
import { readStatus, sendCommand } from "./objects/stubs.ts";
import type { StatusView } from "./objects/status-view.ts";
import { configFrom } from "./config.ts";
import { withDb } from "./db/client.ts";
import { decodeCursor, listMedia, type ListQuery } from "./db/list-media.ts";
import { mintPlaybackToken, playbackSecret } from "./http/playback-token.ts";

const uuid = z.uuid();

function ids(mediaId: string, userId: string) {
  if (!uuid.safeParse(mediaId).success) throw new AppError(400, "INVALID_ID", "mediaId must be a uuid");
  if (!uuid.safeParse(userId).success) throw new AppError(400, "INVALID_ID", "userId must be a uuid");
}

/** Errors cross the RPC boundary as plain Errors; the code leads the message so callers can branch. */
async function rpcAny<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof AppError) throw new Error(`${error.code}: ${error.message}`);
    throw error;
  }
}
const rpc = (fn: () => Promise<StatusView>): Promise<StatusView> => rpcAny(fn);

/**
 * The same operations as the HTTP API for an upload service bound with a service binding.
 * The caller is trusted to name the acting user (the binding is the credential).
 */
export class TranscoderRpc extends WorkerEntrypoint<Env> {
  triggerJob(mediaId: string, userId: string) {
    return rpc(async () => {
      ids(mediaId, userId);
      return statusOrThrow(await sendCommand(this.env, mediaId, { type: "TRIGGER", actor: { kind: "user", userId, role: "creator" } }));
    });
  }
  retryTranscoding(mediaId: string, userId: string) {
    return rpc(async () => {
      ids(mediaId, userId);
      const result = await sendCommand(this.env, mediaId, { type: "RETRY", actor: { kind: "user", userId, role: "creator" } });
      return statusOrThrow(result);
    });
  }
  getTranscodingStatus(mediaId: string, userId: string) {
    return rpc(async () => {
      ids(mediaId, userId);
      return statusOrThrow(await readStatus(this.env, mediaId, { kind: "user", userId, role: "creator" }));
    });
  }
  /** The user's own items (an administrator's: everyone's), newest first; pass `nextCursor` back for the next page. */
  listMedia(userId: string, opts: { role?: "creator" | "admin"; status?: ListQuery["status"]; mediaType?: ListQuery["mediaType"]; limit?: number; cursor?: string } = {}) {
    return rpcAny(async () => {
      ids(userId, userId);
      const cursor = opts.cursor === undefined ? null : decodeCursor(opts.cursor);
      if (opts.cursor !== undefined && !cursor) throw new AppError(400, "INVALID_QUERY", "cursor is not one this API gave out");
      const limit = Math.min(100, Math.max(1, Math.floor(opts.limit ?? 25)));
      return withDb(configFrom(this.env), (db) => listMedia(db, { creatorId: opts.role === "admin" ? null : userId, status: opts.status, mediaType: opts.mediaType, limit, cursor }));
    });
  }
  /** Deletes the item for good (as DELETE /api/media/:id): job cancelled, files gone, every route 404 after. */
  deleteMedia(mediaId: string, userId: string, role: "creator" | "admin" = "creator") {
    return rpcAny(async () => {
      ids(mediaId, userId);
      statusOrThrow(await sendCommand(this.env, mediaId, { type: "DELETE", actor: { kind: "user", userId, role } }));
      return { deleted: true as const };
    });
  }
  /** A signed playback token for viewers (as POST /api/media/:id/playback-token); the binding is the credential. */
  createPlaybackToken(mediaId: string, opts: { expiresInSeconds?: number; viewerId?: string } = {}) {
    return rpcAny(async () => {
      if (!uuid.safeParse(mediaId).success) throw new AppError(400, "INVALID_ID", "mediaId must be a uuid");
      const config = configFrom(this.env);
      playbackSecret(config);
      const life = Math.min(7 * 86_400, Math.max(60, Math.floor(opts.expiresInSeconds ?? 3600)));
      if (opts.viewerId !== undefined && !/^[\w.@:-]{1,128}$/.test(opts.viewerId)) throw new AppError(400, "INVALID_BODY", "viewerId must be 1–128 of [A-Za-z0-9_.@:-]");
      statusOrThrow(await readStatus(this.env, mediaId, { kind: "service" }));
      const { token, expiresAt } = await mintPlaybackToken(config, mediaId, life, opts.viewerId ?? null);
      return { token, expiresAt, path: `/play/${token}/master.m3u8` };
    });
  }
  /** Cancelling is an administrator's act; `adminId` is recorded as the actor. */
  cancelJob(mediaId: string, adminId: string) {
    return rpc(async () => {
      ids(mediaId, adminId);
      return statusOrThrow(await sendCommand(this.env, mediaId, { type: "CANCEL", actor: { kind: "user", userId: adminId, role: "admin" } }));
    });
  }
}
