/**
 * The storage keys of an item's files, remembered for a few seconds per isolate: a player fetches
 * a playlist and then a segment every few seconds, and each would otherwise open a Postgres
 * connection to read the same row. Only items with a playlist are remembered: their keys change
 * only when a retried attempt becomes ready (a new HLS root), and an item still on its way to
 * ready is read afresh every time, so its files appear as soon as the row has them.
 */
export interface FileKeys {
  creatorId: string;
  attemptId: string | null;
  thumbnailKey: string | null;
  waveformKey: string | null;
  waveformImageKey: string | null;
  storyboardKey: string | null;
  storyboardVttKey: string | null;
  hlsMasterPlaylistKey: string | null;
}

export class FileKeyCache {
  private readonly entries = new Map<string, { keys: FileKeys; until: number }>();
  constructor(
    private readonly ttlMs = 10_000,
    private readonly maxEntries = 256,
    private readonly now: () => number = Date.now,
  ) {}

  /** The keys of `id`, from memory while fresh, else from `load` (null: no such item). */
  async get(id: string, load: () => Promise<FileKeys | null>): Promise<FileKeys | null> {
    const hit = this.entries.get(id);
    if (hit && hit.until > this.now()) return hit.keys;
    this.entries.delete(id);
    const keys = await load();
    if (keys?.hlsMasterPlaylistKey) {
      // Oldest first in a Map: drop from the front when full.
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(id, { keys, until: this.now() + this.ttlMs });
    }
    return keys;
  }
}
