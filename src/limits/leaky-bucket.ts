import type { RateLimiterConfig } from './config.js';
import { EPSILON, LimiterCell, type RateLimitAlgorithm } from './decision.js';

type LeakyBucketConfig = Extract<RateLimiterConfig, { algorithm: 'leaky_bucket' }>;

/** One key's queue, reduced to the time the last admitted request leaves. */
export class LeakyBucketCell extends LimiterCell {
  constructor(public nextFree: number) {
    super();
  }
}

/**
 * Leaky bucket as a queue: requests leave at `leakPerSecond` whatever arrives. A request is scheduled after
 * those already queued; it is admitted when the queue (at most `capacity` units) has room and its turn
 * comes within `maxWaitMs` (the caller then waits `waitMs`), else refused. With `maxWaitMs` 0 it only
 * admits requests whose turn is now: a strict spacing of 1/rate.
 */
export class LeakyBucket implements RateLimitAlgorithm<LeakyBucketCell> {
  readonly limit: number;
  /** Time to drain a full bucket. */
  readonly windowMs: number;
  private readonly perMs: number;

  constructor(readonly config: LeakyBucketConfig) {
    this.perMs = config.leakPerSecond / 1000;
    this.limit = config.capacity;
    this.windowMs = config.capacity / this.perMs;
  }

  createCell(now: number): LeakyBucketCell {
    return new LeakyBucketCell(now);
  }

  take(cell: LeakyBucketCell, now: number, cost: number): number {
    const start = cell.nextFree > now ? cell.nextFree : now;
    const wait = start - now;
    const queued = wait * this.perMs;
    if (cost > this.config.capacity) return Infinity;
    if (queued + cost > this.config.capacity + EPSILON) return (queued + cost - this.config.capacity) / this.perMs;
    if (wait > this.config.maxWaitMs + EPSILON) return wait - this.config.maxWaitMs;
    cell.nextFree = start + cost / this.perMs;
    return wait > 0 ? -wait : 0;
  }

  refund(cell: LeakyBucketCell, now: number, cost: number): void {
    const next = cell.nextFree - cost / this.perMs;
    cell.nextFree = next > now ? next : now;
  }

  remaining(cell: LeakyBucketCell, now: number): number {
    const queued = cell.nextFree > now ? (cell.nextFree - now) * this.perMs : 0;
    return this.config.capacity - queued;
  }

  resetMs(cell: LeakyBucketCell, now: number): number {
    return cell.nextFree > now ? cell.nextFree - now : 0;
  }

  saveCell(cell: LeakyBucketCell, now: number): number[] | undefined {
    return cell.nextFree > now ? [cell.nextFree - now] : undefined;
  }

  loadCell(data: readonly number[], savedAt: number, now: number): LeakyBucketCell | undefined {
    const [ahead] = data;
    if (data.length !== 1 || !(ahead! >= 0 && ahead! <= this.windowMs + this.config.maxWaitMs)) return undefined;
    return new LeakyBucketCell(Math.max(now, savedAt + ahead!));
  }
}
