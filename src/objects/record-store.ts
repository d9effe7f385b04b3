/**
 * An object's storage as one typed record of named values, with a write-through cache: events
 * read from memory instead of crossing into storage several times each, and every change is
 * applied to memory first (so later reads see it at once) and then to storage in one write, so
 * the values it touches change together or not at all. The alarm calls `forget` on every wake:
 * time and state are then re-read from storage, never from memory.
 */
/**
 * How values an older release stored become today's: given what was read (today's keys and the
 * legacy ones), the values to write and the legacy keys to drop; null when there is nothing to do.
 */
export type Upgrade<S> = (found: Record<string, unknown>) => { put: Partial<S>; drop: string[] } | null;

export class RecordStore<S extends Record<string, unknown>> {
  private cache: Partial<S> | null = null;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly keys: readonly (keyof S & string)[],
    private readonly legacy: { keys: string[]; upgrade: Upgrade<S> } | null = null,
  ) {}

  forget(): void {
    this.cache = null;
  }

  async read(): Promise<Readonly<Partial<S>>> {
    if (!this.cache) {
      const found = Object.fromEntries(await this.storage.get<unknown>([...this.keys, ...(this.legacy?.keys ?? [])]));
      const upgraded = this.legacy?.upgrade(found) ?? null;
      if (upgraded) {
        // Written back at once (and the legacy keys dropped): the next load finds today's shape.
        await this.storage.put(upgraded.put as Record<string, unknown>);
        if (upgraded.drop.length) await this.storage.delete(upgraded.drop);
        Object.assign(found, upgraded.put);
      }
      const values = Object.fromEntries(this.keys.filter((k) => found[k] !== undefined).map((k) => [k, found[k]])) as Partial<S>;
      // Another caller may have loaded (and changed) it while this one waited.
      this.cache ??= values;
    }
    return this.cache;
  }

  /**
   * Computes a change from the current values and writes it; a null value deletes its key. The
   * function runs synchronously on the newest values, so concurrent updates never lose each other.
   */
  async update(change: (now: Readonly<Partial<S>>) => { [K in keyof S]?: S[K] | null }): Promise<Readonly<Partial<S>>> {
    await this.read();
    const before = this.cache!;
    const delta = change(before);
    const puts: Record<string, unknown> = {};
    const deletes: string[] = [];
    const after: Partial<S> = { ...before };
    for (const [key, value] of Object.entries(delta) as [keyof S & string, S[keyof S] | null | undefined][]) {
      if (value === undefined || value === before[key]) continue;
      if (value === null) {
        if (before[key] === undefined) continue;
        delete after[key];
        deletes.push(key);
      } else {
        after[key] = value as S[keyof S & string];
        puts[key] = value;
      }
    }
    if (!Object.keys(puts).length && !deletes.length) return before;
    this.cache = after;
    // Issued without an await between them: the runtime coalesces them into one atomic write.
    const writes: Promise<unknown>[] = [];
    if (Object.keys(puts).length) writes.push(this.storage.put(puts));
    if (deletes.length) writes.push(this.storage.delete(deletes));
    await Promise.all(writes);
    return after;
  }
}
