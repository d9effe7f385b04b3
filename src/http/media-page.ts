import { z } from "zod";
import type { Config } from "../config.ts";
import { withDb } from "../db/client.ts";
import { decodeCursor, listMedia } from "../db/list-media.ts";
import { AppError } from "./errors.ts";

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

