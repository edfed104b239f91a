import type { RateLimiterConfig } from './config.js';
import { EPSILON, LimiterCell, type RateLimitAlgorithm } from './decision.js';

type TokenBucketConfig = Extract<RateLimiterConfig, { algorithm: 'token_bucket' }>;

/** One key's bucket: tokens left at `lastRefill` (refills are computed lazily on access). */
export class TokenBucketCell extends LimiterCell {
  constructor(
    public tokens: number,
    public lastRefill: number,
  ) {
    super();
  }
}

/** Token bucket: bursts up to `capacity`, then `refillPerSecond` (fractions allowed) steadily. */
export class TokenBucket implements RateLimitAlgorithm<TokenBucketCell> {
  /** Maximum tokens. */
  readonly capacity: number;
  /** Tokens added per second. */
  readonly refillRate: number;
  readonly limit: number;
  /** Time to refill from empty; the policy's natural window. */
  readonly windowMs: number;
  private readonly perMs: number;

  constructor(readonly config: TokenBucketConfig) {
    this.capacity = config.capacity;
    this.refillRate = config.refillPerSecond;
    this.perMs = config.refillPerSecond / 1000;
    this.limit = config.capacity;
    this.windowMs = config.capacity / this.perMs;
  }

  createCell(now: number): TokenBucketCell {
    return new TokenBucketCell(this.capacity, now);
  }

  take(cell: TokenBucketCell, now: number, cost: number): number {
    let tokens = cell.tokens;
    if (now > cell.lastRefill) {
      tokens += (now - cell.lastRefill) * this.perMs;
      if (tokens > this.capacity) tokens = this.capacity;
      cell.tokens = tokens;
      cell.lastRefill = now;
    }
    if (tokens + EPSILON >= cost) {
      cell.tokens = tokens > cost ? tokens - cost : 0;
      return 0;
    }
    if (cost > this.capacity) return Infinity;
    return (cost - tokens) / this.perMs;
  }

  refund(cell: TokenBucketCell, _now: number, cost: number): void {
    const tokens = cell.tokens + cost;
    cell.tokens = tokens > this.capacity ? this.capacity : tokens;
  }

  remaining(cell: TokenBucketCell, now: number): number {
    const elapsed = now > cell.lastRefill ? now - cell.lastRefill : 0;
    return Math.min(this.capacity, cell.tokens + elapsed * this.perMs);
  }

  resetMs(cell: TokenBucketCell, now: number): number {
    return (this.capacity - this.remaining(cell, now)) / this.perMs;
  }

  saveCell(cell: TokenBucketCell, now: number): number[] | undefined {
    return this.remaining(cell, now) + EPSILON >= this.capacity ? undefined : [cell.tokens, cell.lastRefill - now];
  }

  loadCell(data: readonly number[], savedAt: number, now: number): TokenBucketCell | undefined {
    const [tokens, at] = data;
    if (data.length !== 2 || !(tokens! >= 0 && tokens! <= this.capacity) || !(at! <= 0)) return undefined;
    return new TokenBucketCell(tokens!, Math.min(now, savedAt + at!));
  }
}
