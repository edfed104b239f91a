import type { RateLimitScope } from '../errors.js';
import type { RateLimiterConfig } from './config.js';

/** What one limiter said about one request. */
export interface RateLimitDecision {
  /** True when the request is admitted (possibly after `waitMs`). */
  readonly allowed: boolean;
  /** Units still available right after this decision, rounded down. */
  readonly remaining: number;
  /** The policy's limit: bucket capacity or requests per window. */
  readonly limit: number;
  /** 0 when admitted; else milliseconds until the same cost could be admitted (`Infinity`: never, cost > limit). */
  readonly retryAfterMs: number;
  /** Milliseconds until the limiter is back to its full allowance. */
  readonly resetMs: number;
  /** Leaky bucket only: milliseconds the admitted caller must wait for its turn (0 otherwise). */
  readonly waitMs: number;
  /** Length of the policy's window in milliseconds (for `RateLimit-Policy`'s `w`). */
  readonly windowMs: number;
}

/**
 * A protected call's rate-limit decision, for the `RateLimit` headers: its tightest scope's (the scope that
 * refused it; for an admitted call the one with the least remaining, the narrower on a tie).
 */
export interface CallRateLimit extends RateLimitDecision {
  /** The scope the decision is of. */
  readonly scope: RateLimitScope;
}

/** A keyed rate limiter: every algorithm, in memory, implements this. */
export interface RateLimiter {
  /** The limiter's policy. */
  readonly config: RateLimiterConfig;
  /** Decides on `cost` units for `key`; a refusal consumes nothing. */
  tryAcquire(key: string, cost?: number): RateLimitDecision;
}

/**
 * Per-key state of an algorithm. `lastSeen` and `movedAt` belong to the bounded key map (idle expiry and
 * second-chance eviction), kept on the cell itself so a lookup costs one map read and no extra object.
 */
export class LimiterCell {
  /** Clock time of the last access. */
  lastSeen = 0;
  /** Clock time the cell was put at the tail of its map. */
  movedAt = 0;
}

/**
 * One algorithm's arithmetic over a cell. `take` encodes its outcome in one number so the hot path
 * allocates nothing: 0 admitted now, > 0 refused (retry after that many ms, `Infinity` for never), < 0
 * admitted after waiting `-result` ms. A refusal leaves the cell as it was (lazy refills aside).
 */
export interface RateLimitAlgorithm<C extends LimiterCell = LimiterCell> {
  /** The policy. */
  readonly config: RateLimiterConfig;
  /** Limit reported in decisions and headers. */
  readonly limit: number;
  /** Window reported in decisions and headers, in ms. */
  readonly windowMs: number;
  /** A fresh cell, as for a key never seen. */
  createCell(now: number): C;
  /** Tries to consume `cost`; see the encoding above. */
  take(cell: C, now: number, cost: number): number;
  /** Gives back `cost` consumed by a `take` at the same `now` (another scope refused the call). */
  refund(cell: C, now: number, cost: number): void;
  /** Units available now. */
  remaining(cell: C, now: number): number;
  /** Ms until the cell is back to its full allowance. */
  resetMs(cell: C, now: number): number;
  /** The cell as numbers, times relative to `now` (for checkpoints); undefined when it holds nothing to keep. */
  saveCell?(cell: C, now: number): number[] | undefined;
  /**
   * A cell from `saveCell`'s numbers, which were taken at `savedAt` on this clock (the past, for a checkpoint of
   * an earlier process): never more allowance than the saved cell had. Undefined for numbers that do not fit.
   */
  loadCell?(data: readonly number[], savedAt: number, now: number): C | undefined;
}

/** Tolerance for float sums of fractional costs and refills, so exact fits are not refused by rounding. */
export const EPSILON = 1e-9;

/** Builds the public decision from a `take` result. */
export function toDecision<C extends LimiterCell>(
  algorithm: RateLimitAlgorithm<C>,
  cell: C,
  now: number,
  result: number,
): RateLimitDecision {
  return {
    allowed: result <= 0,
    remaining: Math.max(0, Math.floor(algorithm.remaining(cell, now) + EPSILON)),
    limit: algorithm.limit,
    retryAfterMs: result > 0 ? Math.ceil(result) : 0,
    resetMs: Math.max(0, Math.ceil(algorithm.resetMs(cell, now))),
    waitMs: result < 0 ? Math.ceil(-result) : 0,
    windowMs: algorithm.windowMs,
  };
}
