/** One key of a {@link TopK} with its estimated count. */
export interface TopKEntry {
  readonly key: string;
  /** Estimated count: never below the true count, at most `error` above it. */
  readonly count: number;
  /** Overestimate bound inherited from the key this one replaced (0 when it was counted from the start). */
  readonly error: number;
}

interface Counter {
  key: string;
  count: number;
  error: number;
}

/**
 * The heaviest keys of an unbounded stream in fixed memory (Metwally et al.'s space-saving): at most
 * `capacity` counters; a new key past capacity takes over the smallest counter and inherits its count as
 * its error bound. Any key counted more than total/capacity times is guaranteed to be held. Used on
 * refusals only, so the O(capacity) scan for the minimum stays off the allowed path.
 */
export class TopK {
  private readonly counters = new Map<string, Counter>();
  private total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`top-k capacity must be a positive integer, got ${capacity}`);
  }

  /** Counts `by` (default 1) for `key`. */
  add(key: string, by = 1): void {
    this.total += by;
    const hit = this.counters.get(key);
    if (hit !== undefined) {
      hit.count += by;
      return;
    }
    if (this.counters.size < this.capacity) {
      this.counters.set(key, { key, count: by, error: 0 });
      return;
    }
    let min: Counter | undefined;
    for (const c of this.counters.values()) if (min === undefined || c.count < min.count) min = c;
    this.counters.delete(min!.key);
    this.counters.set(key, { key, count: min!.count + by, error: min!.count });
  }

  /** The `limit` heaviest keys, heaviest first. */
  top(limit: number): TopKEntry[] {
    return [...this.counters.values()]
      .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1))
      .slice(0, Math.max(0, limit))
      .map((c) => ({ key: c.key, count: c.count, error: c.error }));
  }

  /** Keys held now (at most `capacity`). */
  get size(): number {
    return this.counters.size;
  }

  /** Everything counted so far. */
  get counted(): number {
    return this.total;
  }

  /** Forgets every key. */
  clear(): void {
    this.counters.clear();
    this.total = 0;
  }
}
