import type { Config } from "../config.ts";
import { withDb } from "../db/client.ts";
import type { Admission } from "../machine/index.ts";
import { creatorObject } from "../objects/stubs.ts";
import { mediaItems, type NewMediaItemRow } from "../../schema/index.ts";
import { AppError } from "./errors.ts";

/**
 * A new item's registration, whatever brings its original (an upload, a URL, a clip): `bytes`
 * counted against the creator's allowance and one more registration in their day (429 with
 * Retry-After beyond their limits), then the row. Nothing created, nothing counted: a row that
 * cannot be written gives the reservation back. `openUpload`: a client upload stays open until
 * the upload's TTL (counted among the creator's open uploads); otherwise none is.
 */
export async function registerItem(env: Env, config: Config, row: NewMediaItemRow & { id: string; creatorId: string }, o: { bytes: number; openUpload: boolean }): Promise<void> {
  const creator = creatorObject(env, row.creatorId);
  const room = (await creator.reserveUpload(row.id, o.bytes, Date.now() + config.upload.ttlMs)) as Admission;
  if (!room.ok) throw new AppError(429, "RATE_LIMITED", room.message, { retryAfterSeconds: room.retryAfterSeconds }, { "retry-after": String(room.retryAfterSeconds) });
  try {
    await withDb(config, (db) => db.insert(mediaItems).values(row));
  } catch (error) {
    await creator.refundUpload(row.id).catch(() => {});
    throw error;
  } finally {
    if (!o.openUpload) await creator.closeUpload(row.id).catch(() => {});
  }
}
