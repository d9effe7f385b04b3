import type { Projector } from "../clients/projector.ts";
import { DatabaseUnavailable } from "../db/client.ts";
import { timed } from "../log.ts";
import { idsOf, recordFromRow, type LifecycleRecord } from "./record.ts";
import type { RecordStore } from "./record-store.ts";
import type { Stored } from "./stored.ts";

/**
 * How an object meets its item: the stored record, or the first one made from the row the upload
 * service wrote; and whether that row has been soft-deleted since (the upload service may set
 * `deletedAt` at any time).
 */
export class ItemLoader {
  /** When the row was last seen not deleted (memory only: it only saves reads). */
  private notDeletedAt = 0;

  constructor(
    private readonly store: RecordStore<Stored>,
    private readonly projector: Projector,
    private readonly deletionCheckMs: number,
  ) {}

  /** The record, or null for an unknown or deleted item; throws DatabaseUnavailable when the first load cannot read the row. */
  async load(mediaId: string): Promise<LifecycleRecord | null> {
    const stored = (await this.store.read()).lifecycle;
    if (stored) return stored;
    const row = await timed("postgres.load", { mediaId }, () => this.projector.load(mediaId), (r) => ({ found: !!r }));
    if (!row || row.deletedAt) return null;
    this.notDeletedAt = Date.now();
    const rec = recordFromRow(row);
    await this.store.update(() => ({ lifecycle: rec }));
    return rec;
  }

  /** Whether the next request should read the row's soft delete again. */
  deletionCheckDue(): boolean {
    return Date.now() - this.notDeletedAt >= this.deletionCheckMs;
  }

  /** `load`, with `unreachable` for a database that cannot be reached on a first load. */
  loadOr<U>(mediaId: string, unreachable: U): Promise<LifecycleRecord | null | U> {
    return this.load(mediaId).catch((error) => {
      if (error instanceof DatabaseUnavailable) return unreachable;
      throw error;
    });
  }

  /**
   * Whether the row now says deleted (or is gone), read at most every `deletionCheckMs`. Postgres
   * down: no, for now; the object answers without it, and the next projection write finds a deletion.
   */
  async rowDeleted(rec: LifecycleRecord): Promise<boolean> {
    if (!this.deletionCheckDue()) return false;
    const deleted = await timed("postgres.deleted", idsOf(rec), () => this.projector.isDeleted(rec.context.mediaId), (d) => ({ deleted: d })).catch((error) => {
      if (error instanceof DatabaseUnavailable) return false;
      throw error;
    });
    if (deleted === false) this.notDeletedAt = Date.now();
    return deleted !== false;
  }
}
