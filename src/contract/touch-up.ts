import { z } from "zod";
import { download, downloadsRequest } from "./downloads.ts";
import type { KeyScope } from "./keys.ts";
import { renditionName } from "./renditions.ts";

/**
 * A touch-up: a small job on a ready item that changes some of its outputs without encoding it
 * again (a new poster frame, downloads asked for after registration). It works under the ready
 * attempt's keys and reports with its own callback; the item stays `ready` throughout.
 */
export const touchUpRequest = z
  .object({
    /** A new poster frame, seconds from the start (clamped inside the last frame); video only. */
    thumbnailSeconds: z.number().min(0).max(7 * 86_400).optional(),
    /** Downloads to make (again) from the ready segments. */
    downloads: downloadsRequest.optional(),
  })
  .refine((r) => r.thumbnailSeconds !== undefined || r.downloads !== undefined, { message: "a touch-up asks for a thumbnail or downloads" });
export type TouchUpRequest = z.infer<typeof touchUpRequest>;

/** The touch-up job's task: what to make, and what it needs to know of the ready item. */
export const touchUpTask = z.object({
  kind: z.literal("touch-up"),
  id: z.uuid(),
  thumbnailSeconds: z.number().min(0).max(7 * 86_400).optional(),
  downloads: downloadsRequest.optional(),
  /** The ready item's rungs, tallest first (what a download of each is made from). */
  rungs: z.array(renditionName).max(4),
});
export type TouchUpTask = z.infer<typeof touchUpTask>;

/** A poster frame chosen after ready: a new key (stills are cached as immutable), one per touch-up. */
export function posterKey({ creatorId, mediaId, attemptId }: KeyScope, touchUpId: string): string {
  return `${creatorId}/thumbnails/media/${mediaId}/${attemptId}/poster-${touchUpId}.jpg`;
}

/** What a touch-up made: the new thumbnail and its time, the downloads (null: not asked for). */
export const touchUpOutput = z.object({
  thumbnail: z.object({ key: z.string().min(1).max(500), seconds: z.number().nonnegative() }).nullable(),
  downloads: z.array(download).max(8).nullable(),
});
export type TouchUpOutput = z.infer<typeof touchUpOutput>;
