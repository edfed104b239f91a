/**
 * A fixed-capacity ring: pushing past capacity overwrites the oldest entry, so memory never grows with
 * traffic. Iteration is oldest first.
 */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private count = 0;
  private overwrittenCount = 0;

  /** `capacity` entries at most. */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  /** Entries held now. */
  get size(): number {
    return this.count;
  }

  /** Entries pushed out by newer ones since creation. */
  get overwritten(): number {
    return this.overwrittenCount;
  }

  /** Appends `item`, overwriting the oldest entry when full. */
  push(item: T): void {
    this.items[this.next] = item;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    if (this.count < this.capacity) this.count++;
    else this.overwrittenCount++;
  }

  /** Entries newest first, stopping after `limit` that pass `keep`. */
  newest(limit: number, keep?: (item: T) => boolean): T[] {
    const out: T[] = [];
    let index = this.next;
    for (let seen = 0; seen < this.count && out.length < limit; seen++) {
      index = index === 0 ? this.capacity - 1 : index - 1;
      const item = this.items[index] as T;
      if (keep === undefined || keep(item)) out.push(item);
    }
    return out;
  }

  /** Drops every entry. */
  clear(): void {
    this.items.fill(undefined);
    this.next = 0;
    this.count = 0;
  }
}
