import { WorkerEntrypoint } from "cloudflare:workers";
import { z } from "zod";
import { AppError } from "./http/errors.ts";
import { statusOrThrow } from "./http/command-answer.ts";
import { readStatus, sendCommand } from "./objects/stubs.ts";
import type { StatusView } from "./objects/status-view.ts";

const uuid = z.uuid();

function ids(mediaId: string, userId: string) {
  if (!uuid.safeParse(mediaId).success) throw new AppError(400, "INVALID_ID", "mediaId must be a uuid");
  if (!uuid.safeParse(userId).success) throw new AppError(400, "INVALID_ID", "userId must be a uuid");
}

/** Errors cross the RPC boundary as plain Errors; the code leads the message so callers can branch. */
async function rpc(fn: () => Promise<StatusView>): Promise<StatusView> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof AppError) throw new Error(`${error.code}: ${error.message}`);
    throw error;
  }
}

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
  /** Cancelling is an administrator's act; `adminId` is recorded as the actor. */
  cancelJob(mediaId: string, adminId: string) {
    return rpc(async () => {
      ids(mediaId, adminId);
      return statusOrThrow(await sendCommand(this.env, mediaId, { type: "CANCEL", actor: { kind: "user", userId: adminId, role: "admin" } }));
    });
  }
}
