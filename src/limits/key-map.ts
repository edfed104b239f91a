import type { LimiterCell } from './decision.js';

/** Entries a full map inspects at most to find one to evict (bounds the work of an insert). */
const MAX_SECOND_CHANCES = 16;

/**
 * A per-key map with a hard cap and idle expiry. Reads only stamp `lastSeen` (no reordering, so a hit costs
 * one `Map.get`). Eviction order lives in a ring of (key, cell) pairs beside the map, in the order entries
 * were placed: when room is needed, the oldest entry is dropped if idle or untouched since it was placed,
 * else it gets a second chance at the tail (CLOCK, an approximation of LRU). Every insert and every sweep
 * does bounded work; the ring never holds more than the map.
 */
export class BoundedKeyMap<C extends LimiterCell> {
  private readonly map = new Map<string, C>();
  private keys: (string | undefined)[] = new Array<string | undefined>(16);
  private cells: (C | undefined)[] = new Array<C | undefined>(16);
  private head = 0;
  private length = 0;
  /** Entries dropped to stay under the cap while still active. */
  evicted = 0;
  /** Entries dropped because they were idle. */
  expired = 0;

  constructor(
    readonly maxEntries: number,
    readonly idleMs: number,
  ) {}

  /** Entries held. */
  get size(): number {
    return this.map.size;
  }

  /** The cell of `key`, stamped as seen at `now`. */
  get(key: string, now: number): C | undefined {
    const cell = this.map.get(key);
    if (cell !== undefined) cell.lastSeen = now;
    return cell;
  }

  /** Adds a cell for a key not present, making room first when full. */
  add(key: string, cell: C, now: number): void {
    if (this.map.size >= this.maxEntries) this.makeRoom(now);
    cell.lastSeen = now;
    cell.movedAt = now;
    this.map.set(key, cell);
    this.push(key, cell);
  }

  /** Every (key, cell) held, in insertion order of the map. */
  entries(): IterableIterator<[string, C]> {
    return this.map.entries();
  }

  /** Drops everything. */
  clear(): void {
    this.map.clear();
    this.keys = new Array<string | undefined>(16);
    this.cells = new Array<C | undefined>(16);
    this.head = this.length = 0;
  }

  private makeRoom(now: number): void {
    for (let chances = 0; this.length > 0; chances++) {
      const key = this.keys[this.head]!;
      const cell = this.cells[this.head]!;
      this.shift();
      if (now - cell.lastSeen >= this.idleMs) {
        this.map.delete(key);
        this.expired++;
        return;
      }
      if (cell.lastSeen > cell.movedAt && chances < MAX_SECOND_CHANCES) {
        cell.movedAt = now;
        this.push(key, cell);
        continue;
      }
      this.map.delete(key);
      this.evicted++;
      return;
    }
  }

  /**
   * Drops idle entries from the oldest end, inspecting at most `budget`. The ring is ordered by `movedAt`,
   * so the sweep stops at the first entry placed within the idle period: nothing behind it can be idle.
   */
  sweep(now: number, budget: number): number {
    const horizon = now - this.idleMs;
    let dropped = 0;
    for (let inspected = 0; inspected < budget && this.length > 0; inspected++) {
      const key = this.keys[this.head]!;
      const cell = this.cells[this.head]!;
      if (cell.movedAt > horizon) break;
      this.shift();
      if (cell.lastSeen <= horizon) {
        this.map.delete(key);
        this.expired++;
        dropped++;
      } else {
        cell.movedAt = now;
        this.push(key, cell);
      }
    }
    return dropped;
  }

  private shift(): void {
    this.keys[this.head] = undefined;
    this.cells[this.head] = undefined;
    this.head = (this.head + 1) & (this.keys.length - 1);
    this.length--;
  }

  private push(key: string, cell: C): void {
    if (this.length === this.keys.length) this.grow();
    const at = (this.head + this.length) & (this.keys.length - 1);
    this.keys[at] = key;
    this.cells[at] = cell;
    this.length++;
  }

  private grow(): void {
    const size = this.keys.length;
    const keys: (string | undefined)[] = new Array<string | undefined>(size * 2);
    const cells: (C | undefined)[] = new Array<C | undefined>(size * 2);
    for (let i = 0; i < this.length; i++) {
      keys[i] = this.keys[(this.head + i) & (size - 1)];
      cells[i] = this.cells[(this.head + i) & (size - 1)];
    }
    this.keys = keys;
    this.cells = cells;
    this.head = 0;
  }
}
