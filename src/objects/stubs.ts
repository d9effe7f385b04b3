import type { Actor } from "../machine/index.ts";
import type { Command, CommandResult } from "./commands.ts";
import type { CreatorObject } from "./creator-object.ts";
import type { MediaObject } from "./media-object.ts";

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
