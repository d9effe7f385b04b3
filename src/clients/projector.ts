import { and, eq, isNull, lt, sql } from "drizzle-orm";
import { mediaItems, type MediaItemRow } from "../../schema/index.ts";
import { withDb } from "../db/client.ts";
import type { Config } from "../config.ts";
import type { ProjectionRow } from "../objects/projection-row.ts";

/** Postgres as seen by one media item's object: read its row, write its projection. */
export interface Projector {
  load(mediaId: string): Promise<MediaItemRow | null>;
  /** Whether the row carries a soft delete (null: there is no row at all). */
  isDeleted(mediaId: string): Promise<boolean | null>;
  /**
   * Writes only where the stored version is lower and the row is not soft-deleted: a late or
   * repeated write never overwrites a newer one, and none resurrects a deleted row.
   */
  write(mediaId: string, version: number, row: ProjectionRow): Promise<"written" | "stale" | "deleted">;
  /** Sets deletedAt (once) and marks the mezzanine deleted: lists and the dashboard stop showing the item. */
  markDeleted(mediaId: string): Promise<void>;
}

export class PostgresProjector implements Projector {
  constructor(private readonly config: Config) {}

  load(mediaId: string) {
    return withDb(this.config, async (db) => {
      const [row] = await db.select().from(mediaItems).where(eq(mediaItems.id, mediaId)).limit(1);
      return row ?? null;
    });
  }

  isDeleted(mediaId: string) {
    return withDb(this.config, async (db) => {
      const [row] = await db.select({ deletedAt: mediaItems.deletedAt }).from(mediaItems).where(eq(mediaItems.id, mediaId)).limit(1);
      return row ? row.deletedAt !== null : null;
    });
  }

  markDeleted(mediaId: string) {
    return withDb(this.config, async (db) => {
      await db
        .update(mediaItems)
        .set({ deletedAt: new Date(), updatedAt: new Date(), mezzanineStatus: sql`case when ${mediaItems.mezzanineKey} is null then ${mediaItems.mezzanineStatus} else 'deleted'::mezzanine_status end` })
        .where(and(eq(mediaItems.id, mediaId), isNull(mediaItems.deletedAt)));
    });
  }

  write(mediaId: string, version: number, row: ProjectionRow) {
    return withDb(this.config, async (db) => {
      const updated = await db
        .update(mediaItems)
        .set({ ...row, projectionVersion: version, updatedAt: new Date() })
        .where(and(eq(mediaItems.id, mediaId), lt(mediaItems.projectionVersion, version), isNull(mediaItems.deletedAt)))
        .returning({ id: mediaItems.id });
      if (updated.length > 0) return "written" as const;
      // Nothing written: a newer version is there, or the row was deleted (or is gone).
      const [current] = await db.select({ deletedAt: mediaItems.deletedAt }).from(mediaItems).where(eq(mediaItems.id, mediaId)).limit(1);
      return !current || current.deletedAt !== null ? ("deleted" as const) : ("stale" as const);
    });
  }
}
