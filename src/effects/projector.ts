import { and, eq, lt } from "drizzle-orm";
import { mediaItems, type MediaItemRow } from "../../schema/index.ts";
import { withDb } from "../db/client.ts";
import type { Config } from "../config.ts";
import type { ProjectionRow } from "../objects/projection-row.ts";

/** Postgres as seen by one media item's object: read its row once, write its projection. */
export interface Projector {
  load(mediaId: string): Promise<MediaItemRow | null>;
  /** Writes only where the stored version is lower; answers whether this write landed. */
  write(mediaId: string, version: number, row: ProjectionRow): Promise<"written" | "stale">;
}

export class PostgresProjector implements Projector {
  constructor(private readonly config: Config) {}

  load(mediaId: string) {
    return withDb(this.config, async (db) => {
      const [row] = await db.select().from(mediaItems).where(eq(mediaItems.id, mediaId)).limit(1);
      return row ?? null;
    });
  }

  write(mediaId: string, version: number, row: ProjectionRow) {
    return withDb(this.config, async (db) => {
      const updated = await db
        .update(mediaItems)
        .set({ ...row, projectionVersion: version, updatedAt: new Date() })
        .where(and(eq(mediaItems.id, mediaId), lt(mediaItems.projectionVersion, version)))
        .returning({ id: mediaItems.id });
      return updated.length > 0 ? ("written" as const) : ("stale" as const);
    });
  }
}
