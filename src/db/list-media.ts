import { and, desc, eq, isNull, sql, type SQL } from "drizzle-orm";
import { mediaItems } from "../../schema/index.ts";
import type { Db } from "./client.ts";

/** What a page of `GET /api/media` holds per item (from the row: the list never wakes an object). */
const listColumns = {
  id: mediaItems.id,
  creatorId: mediaItems.creatorId,
  mediaType: mediaItems.mediaType,
  status: mediaItems.status,
  filename: mediaItems.originalFilename,
  size: mediaItems.originalSize,
  contentType: mediaItems.contentType,
  durationSeconds: mediaItems.durationSeconds,
  width: mediaItems.width,
  height: mediaItems.height,
  percent: mediaItems.transcodingPercent,
  errorCode: mediaItems.transcodingErrorCode,
  readyVariants: mediaItems.readyVariants,
  createdAt: mediaItems.createdAt,
  updatedAt: mediaItems.updatedAt,
  // Postgres's own text of the timestamp (microseconds): a cursor made from it is exact.
  position: sql<string>`${mediaItems.createdAt}::text`,
};

export interface ListQuery {
  /** Only this creator's items (a creator's own list); null: everyone's (an administrator). */
  creatorId: string | null;
  status?: "uploading" | "uploaded" | "transcoding" | "ready" | "failed";
  mediaType?: "video" | "audio";
  limit: number;
  cursor: Cursor | null;
}

/** Where a page ended: the last item's creation time (as Postgres wrote it) and id. */
export interface Cursor {
  createdAt: string;
  id: string;
}

export const encodeCursor = (c: Cursor) => btoa(JSON.stringify([c.createdAt, c.id])).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** The cursor inside an opaque token, or null when it is not one of ours. */
export function decodeCursor(token: string): Cursor | null {
  try {
    const [createdAt, id] = JSON.parse(atob(token.replace(/-/g, "+").replace(/_/g, "/"))) as unknown[];
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    // Postgres's text of a timestamptz: `2026-12-03 09:00:00.123456+00`.
    const timestamp = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)?$/;
    if (typeof createdAt !== "string" || typeof id !== "string" || !uuid.test(id) || !timestamp.test(createdAt)) return null;
    return { createdAt, id };
  } catch {
    return null;
  }
}

/** Newest first, deleted items never; one row past the page says whether another page follows. */
export async function listMedia(db: Db, q: ListQuery) {
  const where: SQL[] = [isNull(mediaItems.deletedAt)];
  if (q.creatorId) where.push(eq(mediaItems.creatorId, q.creatorId));
  if (q.status) where.push(eq(mediaItems.status, q.status));
  if (q.mediaType) where.push(eq(mediaItems.mediaType, q.mediaType));
  if (q.cursor) where.push(sql`(${mediaItems.createdAt}, ${mediaItems.id}) < (${q.cursor.createdAt}::timestamptz, ${q.cursor.id}::uuid)`);
  const rows = await db
    .select(listColumns)
    .from(mediaItems)
    .where(and(...where))
    .orderBy(desc(mediaItems.createdAt), desc(mediaItems.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    items: page.map(({ position: _position, ...item }) => item),
    nextCursor: rows.length > q.limit && last ? encodeCursor({ createdAt: last.position, id: last.id }) : null,
  };
}
