import { WorkerEntrypoint } from "cloudflare:workers";
import { z } from "zod";
import { AppError } from "./http/errors.ts";
import { statusOrThrow } from "./http/command-answer.ts";
import { readStatus, sendCommand } from "./objects/stubs.ts";
import type { StatusView } from "./objects/status-view.ts";
import { configFrom } from "./config.ts";
import type { ListQuery } from "./db/list-media.ts";
import { parseBody, parseQuery } from "./http/validate.ts";
import { listQuery, mediaPage } from "./http/media-page.ts";
import { playbackGrant, playbackTokenBody } from "./http/playback-grant.ts";
import { clipBody, createClip } from "./routes/clips.ts";
import { downloadsBody, ingestBody, registerFromUrl, registerMedia, thumbnailBody } from "./routes/media.ts";

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
      // The route's own query schema: the same bounds and the same errors.
      const q = parseQuery({ status: opts.status, mediaType: opts.mediaType, limit: opts.limit, cursor: opts.cursor }, listQuery);
      return mediaPage(configFrom(this.env), opts.role === "admin" ? null : userId, q);
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
  /** A signed playback token for viewers (as POST /api/media/:id/playback-token, URLs relative); the binding is the credential. */
  createPlaybackToken(mediaId: string, opts: { expiresInSeconds?: number; viewerId?: string } = {}) {
    return rpcAny(async () => {
      if (!uuid.safeParse(mediaId).success) throw new AppError(400, "INVALID_ID", "mediaId must be a uuid");
      const grant = await playbackGrant(this.env, { kind: "service" }, mediaId, parseBody(opts, playbackTokenBody), "");
      return { ...grant, path: grant.urls.hls };
    });
  }
  /** A clip of a ready item (as POST /api/media/:id/clips): a new item, transcoding; its status. */
  createClip(mediaId: string, userId: string, range: { startSeconds: number; endSeconds: number }, role: "creator" | "admin" = "creator") {
    return rpc(async () => {
      ids(mediaId, userId);
      return createClip(this.env, { kind: "user", userId, role }, mediaId, parseBody(range, clipBody));
    });
  }
  /**
   * A new item, as POST /api/media registers one: its original uploaded by the caller (the
   * resumable upload is opened: `upload`) or, with `url`, copied from a URL (`ingest`); the same
   * fields and choices (normalizeAudio, thumbnailSeconds, downloads), the same errors.
   */
  registerMedia(userId: string, body: Record<string, unknown>) {
    return rpcAny(async () => {
      ids(userId, userId);
      if (typeof body !== "object" || body === null) throw new AppError(400, "INVALID_BODY", "The registration must be an object");
      return registerMedia(this.env, configFrom(this.env), { kind: "user", userId, role: "creator" }, body);
    });
  }
  /** An item whose original is copied from a URL (as POST /api/media with `url`): its id and how the copy goes. */
  ingestFromUrl(userId: string, body: { mediaType: "video" | "audio"; url: string; filename?: string; maxBytes?: number; transcode?: boolean }) {
    return rpcAny(async () => {
      ids(userId, userId);
      return registerFromUrl(this.env, configFrom(this.env), { kind: "user", userId, role: "creator" }, parseBody(body, ingestBody));
    });
  }
  /** A new poster frame for a ready item (as POST /api/media/:id/thumbnail): a touch-up; media.updated when done. */
  setThumbnail(mediaId: string, userId: string, seconds: number, role: "creator" | "admin" = "creator") {
    return rpc(async () => {
      ids(mediaId, userId);
      const body = parseBody({ seconds }, thumbnailBody);
      return statusOrThrow(await sendCommand(this.env, mediaId, { type: "TOUCH_UP", actor: { kind: "user", userId, role }, request: { thumbnailSeconds: body.seconds } }));
    });
  }
  /** Downloads for a ready item (as POST /api/media/:id/downloads): a touch-up; media.updated when done. */
  requestDownloads(mediaId: string, userId: string, downloads: { mp4?: "none" | "highest" | "all"; audio?: boolean }, role: "creator" | "admin" = "creator") {
    return rpc(async () => {
      ids(mediaId, userId);
      return statusOrThrow(await sendCommand(this.env, mediaId, { type: "TOUCH_UP", actor: { kind: "user", userId, role }, request: { downloads: parseBody(downloads, downloadsBody) } }));
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
