/**
 * An object's storage as one typed record of named values, with a write-through cache: events
 * read from memory instead of crossing into storage several times each, and every change is
 * applied to memory first (so later reads see it at once) and then to storage in one write, so
 * the values it touches change together or not at all. The alarm calls `forget` on every wake:
 * time and state are then re-read from storage, never from memory.
 */
export class RecordStore<S extends Record<string, unknown>> {
  private cache: Partial<S> | null = null;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly keys: readonly (keyof S & string)[],
  ) {}

  forget(): void {
    this.cache = null;
  }

  async read(): Promise<Readonly<Partial<S>>> {
    if (!this.cache) {
      const found = await this.storage.get<S[keyof S]>([...this.keys]);
      // Another caller may have loaded (and changed) it while this one waited.
      this.cache ??= Object.fromEntries(found) as Partial<S>;
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
