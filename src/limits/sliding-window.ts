import type { RateLimiterConfig } from './config.js';
import { EPSILON, LimiterCell, type RateLimitAlgorithm } from './decision.js';

type SlidingWindowConfig = Extract<RateLimiterConfig, { algorithm: 'sliding_window' }>;

/** One key's ring of sub-window counts; `head` is the newest sub-window index written. */
export class SlidingWindowCell extends LimiterCell {
  constructor(
    public head: number,
    public total: number,
    readonly counts: Float64Array,
  ) {
    super();
  }
}

/**
 * Sliding window over `subWindows` sub-windows. Every sub-window overlapping the rolling window
 * (now - windowMs, now] counts in full, so no rolling window ever holds more than `limit` admitted units,
 * whatever the arrival pattern; the cost is refusing slightly early near sub-window edges. Unlike the
 * two-window weighted estimate, it never over-admits when the previous window's requests came late.
 */
export class SlidingWindow implements RateLimitAlgorithm<SlidingWindowCell> {
  readonly limit: number;
  readonly windowMs: number;
  private readonly n: number;
  private readonly slot: number;
  private readonly ring: number;

  constructor(readonly config: SlidingWindowConfig) {
    this.limit = config.limit;
    this.windowMs = config.windowMs;
    this.n = config.subWindows;
    this.slot = config.windowMs / config.subWindows;
    this.ring = config.subWindows + 1;
  }

  createCell(now: number): SlidingWindowCell {
    return new SlidingWindowCell(Math.floor(now / this.slot), 0, new Float64Array(this.ring));
  }

  /** Drops the sub-windows that left the window; returns the current sub-window index. */
  private advance(cell: SlidingWindowCell, now: number): number {
    const current = Math.floor(now / this.slot);
    if (current > cell.head) {
      const steps = current - cell.head >= this.ring ? this.ring : current - cell.head;
      const counts = cell.counts;
      for (let i = 1; i <= steps; i++) {
        const at = (cell.head + i) % this.ring;
        cell.total -= counts[at]!;
        counts[at] = 0;
      }
      if (cell.total < EPSILON) cell.total = 0;
      cell.head = current;
    }
    return current;
  }

  take(cell: SlidingWindowCell, now: number, cost: number): number {
    const current = this.advance(cell, now);
    if (cell.total + cost <= this.limit + EPSILON) {
      cell.counts[current % this.ring]! += cost;
      cell.total += cost;
      return 0;
    }
    if (cost > this.limit) return Infinity;
    // The oldest sub-windows leave first; find the one whose departure frees enough.
    const need = cell.total + cost - this.limit;
    let freed = 0;
    for (let index = cell.head - this.n; index <= cell.head; index++) {
      freed += cell.counts[((index % this.ring) + this.ring) % this.ring]!;
      if (freed + EPSILON >= need) return (index + this.n + 1) * this.slot - now;
    }
    return this.windowMs;
  }

  refund(cell: SlidingWindowCell, now: number, cost: number): void {
    const at = this.advance(cell, now) % this.ring;
    const back = cell.counts[at]! < cost ? cell.counts[at]! : cost;
    cell.counts[at]! -= back;
    cell.total -= back;
  }

  remaining(cell: SlidingWindowCell, now: number): number {
    this.advance(cell, now);
    return this.limit - cell.total;
  }

  /** Pairs of (sub-window start relative to `now`, count), newest first. */
  saveCell(cell: SlidingWindowCell, now: number): number[] | undefined {
    this.advance(cell, now);
    if (cell.total <= 0) return undefined;
    const out: number[] = [];
    for (let index = cell.head; index >= cell.head - this.n; index--) {
      const count = cell.counts[((index % this.ring) + this.ring) % this.ring]!;
      if (count > 0) out.push(index * this.slot - now, count);
    }
    return out;
  }

  /**
   * Each saved count goes to the sub-window of this clock that leaves the window no earlier than its own
   * would have (sub-windows are aligned to each process's clock), so the limit is never looser after a restore.
   */
  loadCell(data: readonly number[], savedAt: number, now: number): SlidingWindowCell | undefined {
    if (data.length === 0 || data.length % 2 !== 0 || data.length > 2 * this.ring) return undefined;
    const cell = this.createCell(now);
    for (let i = 0; i < data.length; i += 2) {
      const start = data[i]!;
      const count = data[i + 1]!;
      if (!(start <= 0 && start >= -this.windowMs - this.slot) || !(count > 0 && count <= this.limit + EPSILON)) return undefined;
      const index = Math.min(cell.head, Math.ceil((savedAt + start) / this.slot));
      if (index + this.n < cell.head) continue;
      cell.counts[((index % this.ring) + this.ring) % this.ring]! += count;
      cell.total += count;
    }
    return cell.total > 0 ? cell : undefined;
  }

  resetMs(cell: SlidingWindowCell, now: number): number {
    this.advance(cell, now);
    for (let index = cell.head; index >= cell.head - this.n; index--) {
      if (cell.counts[((index % this.ring) + this.ring) % this.ring]! > 0) return (index + this.n + 1) * this.slot - now;
    }
    return 0;
  }
}
