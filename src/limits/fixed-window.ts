import type { RateLimiterConfig } from './config.js';
import { EPSILON, LimiterCell, type RateLimitAlgorithm } from './decision.js';

type FixedWindowConfig = Extract<RateLimiterConfig, { algorithm: 'fixed_window' }>;

/** One key's window: its index (time / windowMs) and the units counted in it. */
export class FixedWindowCell extends LimiterCell {
  constructor(
    public window: number,
    public count: number,
  ) {
    super();
  }
}

/** Fixed window: at most `limit` units per aligned window of `windowMs`; the count resets at each boundary. */
export class FixedWindow implements RateLimitAlgorithm<FixedWindowCell> {
  readonly limit: number;
  readonly windowMs: number;

  constructor(readonly config: FixedWindowConfig) {
    this.limit = config.limit;
    this.windowMs = config.windowMs;
  }

  createCell(now: number): FixedWindowCell {
    return new FixedWindowCell(Math.floor(now / this.windowMs), 0);
  }

  take(cell: FixedWindowCell, now: number, cost: number): number {
    const window = Math.floor(now / this.windowMs);
    if (window !== cell.window) {
      cell.window = window;
      cell.count = 0;
    }
    if (cell.count + cost <= this.limit + EPSILON) {
      cell.count += cost;
      return 0;
    }
    if (cost > this.limit) return Infinity;
    return (window + 1) * this.windowMs - now;
  }

  refund(cell: FixedWindowCell, now: number, cost: number): void {
    if (cell.window !== Math.floor(now / this.windowMs)) return;
    cell.count = cell.count > cost ? cell.count - cost : 0;
  }

  remaining(cell: FixedWindowCell, now: number): number {
    return cell.window === Math.floor(now / this.windowMs) ? this.limit - cell.count : this.limit;
  }

  resetMs(cell: FixedWindowCell, now: number): number {
    if (cell.window !== Math.floor(now / this.windowMs) || cell.count === 0) return 0;
    return (cell.window + 1) * this.windowMs - now;
  }

  saveCell(cell: FixedWindowCell, now: number): number[] | undefined {
    const reset = this.resetMs(cell, now);
    return reset > 0 ? [reset, cell.count] : undefined;
  }

  /**
   * Windows are aligned to each process's own clock, so a saved count whose window has not ended is carried
   * into the current window: it may then last longer than it would have (stricter), never shorter.
   */
  loadCell(data: readonly number[], savedAt: number, now: number): FixedWindowCell | undefined {
    const [reset, count] = data;
    if (data.length !== 2 || !(reset! > 0 && reset! <= this.windowMs) || !(count! > 0 && count! <= this.limit + EPSILON)) return undefined;
    if (savedAt + reset! <= now) return undefined;
    return new FixedWindowCell(Math.floor(now / this.windowMs), count!);
  }
}
