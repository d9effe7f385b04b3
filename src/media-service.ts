import type { Actor } from "./machine/index.ts";
import type { Command, CommandResult } from "./objects/commands.ts";
import type { MediaObject } from "./objects/media-object.ts";
import type { CreatorObject } from "./objects/creator-object.ts";
import { AppError } from "./http/errors.ts";
import type { StatusView } from "./objects/status-view.ts";

/** The object of one media item; its id is derived from the media id, so every path reaches the same one. */
export function mediaObject(env: Env, mediaId: string): DurableObjectStub<MediaObject> {
  return env.MEDIA_OBJECT.get(env.MEDIA_OBJECT.idFromName(mediaId));
}

/** The counter of one creator's spending (jobs in flight, jobs and upload bytes per day). */
export function creatorObject(env: Env, creatorId: string): DurableObjectStub<CreatorObject> {
  return env.CREATOR_OBJECT.get(env.CREATOR_OBJECT.idFromName(creatorId));
}

export async function sendCommand(env: Env, mediaId: string, command: Command): Promise<CommandResult> {
  return (await mediaObject(env, mediaId).command(mediaId, command)) as CommandResult;
}

export async function readStatus(env: Env, mediaId: string, actor: Actor): Promise<CommandResult> {
  return (await mediaObject(env, mediaId).status(mediaId, actor)) as CommandResult;
}

/**
 * What a command's outcome means to a caller of the API or of the RPC methods: the item's status,
 * or an AppError. `retryRoute` makes an item that is not failed a 422 (the retry route's contract).
 */
export function statusOrThrow(result: CommandResult, opts: { retryRoute?: boolean } = {}): StatusView {
  switch (result.outcome) {
    case "applied":
    case "ignored":
      return result.status;
    case "unknown":
      throw new AppError(404, "NOT_FOUND", "No such media item");
    case "unavailable":
      throw new AppError(503, "UNAVAILABLE", result.message);
    case "dispatch_failed":
      throw new AppError(502, "DISPATCH_FAILED", `Could not dispatch the job; the item is unchanged: ${result.message}`, {
        status: result.status.status,
      });
    case "refused": {
      const status = {
        NOT_FOUND: 404,
        FORBIDDEN: 403,
        RETRY_EXHAUSTED: 422,
        INPUT_MISSING: 422,
        INVALID_STATE: opts.retryRoute ? 422 : 409,
        RATE_LIMITED: 429,
        INVALID_OUTPUT: 422,
      } as const;
      const headers = result.retryAfterSeconds === undefined ? undefined : { "retry-after": String(result.retryAfterSeconds) };
      throw new AppError(status[result.code], result.code, result.message, result.retryAfterSeconds === undefined ? undefined : { retryAfterSeconds: result.retryAfterSeconds }, headers);
    }
  }
}
