/**
 * A per-isolate memo that cannot grow without bound: a `Map` that empties itself when a new key
 * would take it past `max` entries. The memos here hold what is cheap to make again (a hashed key,
 * a parsed URL, a configured server per origin), so forgetting everything at once is fine and
 * needs no bookkeeping per read.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(readonly max: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.max) this.clear();
    return super.set(key, value);
  }

  /** The value of `key`, made by `make` and kept when absent. */
  getOrSet(key: K, make: () => V): V {
    if (this.has(key)) return this.get(key) as V;
    const value = make();
    this.set(key, value);
    return value;
  }

  /**
   * {@link getOrSet} for work that may fail: the promise is kept while it is pending or
   * fulfilled, and forgotten if it rejects, so the next caller tries again (a provider that was
   * down, a KV read that failed) instead of getting the same failure for the isolate's life.
   */
  getOrStart<T>(this: BoundedMap<K, Promise<T>>, key: K, start: () => Promise<T>): Promise<T> {
    const existing = this.get(key);
    if (existing) return existing;
    const started = start();
    this.set(key, started);
    started.catch(() => {
      if (this.get(key) === started) this.delete(key);
    });
    return started;
  }
}
