import { parseSection } from '../internal/validation.js';
import { InvalidConfigError } from '../errors.js';
import { hotPathClock, type Clock } from '../internal/time.js';
import { rateLimiterConfigSchema, type RateLimiterConfig, type RateLimiterConfigInput } from './config.js';
import { toDecision, type LimiterCell, type RateLimitAlgorithm, type RateLimitDecision, type RateLimiter } from './decision.js';
import { FixedWindow } from './fixed-window.js';
import { BoundedKeyMap } from './key-map.js';
import { boundedKey } from './keys.js';
import { LeakyBucket } from './leaky-bucket.js';
import { SlidingWindow } from './sliding-window.js';
import { TokenBucket } from './token-bucket.js';

/** Options of an in-memory keyed limiter. */
export interface KeyedLimiterOptions {
  /** Clock whose monotonic time the limiters read; default the system clock, read through `node:perf_hooks`. */
  clock?: Clock;
  /** Keys whose state is kept; default 100,000. */
  maxKeys?: number;
  /** A key unseen this long has its state dropped; default 10 minutes. */
  idleMs?: number;
  /** Longer keys are kept as a digest; default 256. */
  maxKeyLength?: number;
}

/** The algorithm object of a policy. */
export function createAlgorithm(config: RateLimiterConfig): RateLimitAlgorithm {
  switch (config.algorithm) {
    case 'token_bucket':
      return new TokenBucket(config);
    case 'sliding_window':
      return new SlidingWindow(config);
    case 'fixed_window':
      return new FixedWindow(config);
    case 'leaky_bucket':
      return new LeakyBucket(config);
  }
}

/** Throws INVALID_CONFIG unless `cost` is a positive finite number. */
export function checkCost(cost: number): void {
  if (!(cost > 0) || cost === Infinity) throw new InvalidConfigError('cost', `must be a positive finite number, got ${cost}`);
}

/** Throws INVALID_CONFIG (at `userId`, the key callers pass) unless `key` is a string. */
export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string')
    throw new InvalidConfigError('userId', `must be a string, got ${key === null ? 'null' : Array.isArray(key) ? 'an array' : typeof key}`);
}

/** One limiter's saved cells: [key, ...numbers of the algorithm's `saveCell`]. */
export type SavedCells = [string, ...number[]][];

/** Any algorithm over a bounded map of per-key cells. */
export class KeyedRateLimiter<C extends LimiterCell = LimiterCell> implements RateLimiter {
  readonly config: RateLimiterConfig;
  private readonly cells: BoundedKeyMap<C>;
  private readonly clock: Clock;
  private readonly maxKeyLength: number;

  constructor(
    readonly algorithm: RateLimitAlgorithm<C>,
    options: KeyedLimiterOptions = {},
  ) {
    this.config = algorithm.config;
    this.clock = options.clock ?? hotPathClock;
    this.maxKeyLength = options.maxKeyLength ?? 256;
    this.cells = new BoundedKeyMap<C>(options.maxKeys ?? 100_000, options.idleMs ?? 600_000);
  }

  tryAcquire(key: string, cost = 1): RateLimitDecision {
    checkKey(key);
    checkCost(cost);
    const now = this.clock.monotonic();
    const cell = this.cell(key, now);
    return toDecision(this.algorithm, cell, now, this.algorithm.take(cell, now, cost));
  }

  /** The hot-path form of `tryAcquire`: the encoded result of `RateLimitAlgorithm.take`, no allocation. */
  take(key: string, now: number, cost: number): number {
    return this.algorithm.take(this.cell(key, now), now, cost);
  }

  /** Gives back what a `take` at the same `now` consumed. */
  refund(key: string, now: number, cost: number): void {
    this.algorithm.refund(this.cell(key, now), now, cost);
  }

  /** The current allowance of `key` without consuming anything. */
  peek(key: string): RateLimitDecision {
    const now = this.clock.monotonic();
    const cell = this.cell(key, now);
    return toDecision(this.algorithm, cell, now, 0);
  }

  private cell(key: string, now: number): C {
    if (key.length > this.maxKeyLength || key.charCodeAt(0) === 35) key = boundedKey(key, this.maxKeyLength);
    let cell = this.cells.get(key, now);
    if (cell === undefined) {
      cell = this.algorithm.createCell(now);
      this.cells.add(key, cell, now);
    }
    return cell;
  }

  /** The cells worth keeping (not back to a full allowance), at most `max`, for a checkpoint. */
  save(now: number, max = Infinity): SavedCells {
    const out: SavedCells = [];
    const algorithm = this.algorithm;
    if (algorithm.saveCell === undefined) return out;
    for (const [key, cell] of this.cells.entries()) {
      if (out.length >= max) break;
      const data = algorithm.saveCell(cell, now);
      if (data !== undefined) out.push([key, ...data]);
    }
    return out;
  }

  /** Restores one saved cell (see `RateLimitAlgorithm.loadCell`) unless `key` was seen since; true when applied. */
  load(key: string, data: readonly number[], savedAt: number, now: number): boolean {
    if (key.length > this.maxKeyLength || this.cells.get(key, now) !== undefined) return false;
    const cell = this.algorithm.loadCell?.(data, savedAt, now);
    if (cell === undefined) return false;
    this.cells.add(key, cell, now);
    return true;
  }

  /** Keys whose state is held. */
  get size(): number {
    return this.cells.size;
  }

  /** Active keys dropped to respect the cap. */
  get evicted(): number {
    return this.cells.evicted;
  }

  /** Idle keys dropped. */
  get expired(): number {
    return this.cells.expired;
  }

  /** Drops idle keys, inspecting at most `budget`. */
  sweep(budget = 10_000): number {
    return this.cells.sweep(this.clock.monotonic(), budget);
  }

  /** Forgets every key. */
  clear(): void {
    this.cells.clear();
  }
}

/** One cell, no key: the global limiter and each operation's limiter (no map lookup on the hot path). */
export class SingleRateLimiter<C extends LimiterCell = LimiterCell> implements RateLimiter {
  readonly config: RateLimiterConfig;
  private cell: C;
  private readonly clock: Clock;

  constructor(
    readonly algorithm: RateLimitAlgorithm<C>,
    clock: Clock = hotPathClock,
  ) {
    this.config = algorithm.config;
    this.clock = clock;
    this.cell = algorithm.createCell(clock.monotonic());
  }

  /** Decides on `cost`; the key is ignored (one shared allowance). */
  tryAcquire(key = '', cost = 1): RateLimitDecision {
    checkKey(key);
    checkCost(cost);
    const now = this.clock.monotonic();
    return toDecision(this.algorithm, this.cell, now, this.algorithm.take(this.cell, now, cost));
  }

  /** Encoded `take` (see {@link RateLimitAlgorithm.take}). */
  take(now: number, cost: number): number {
    return this.algorithm.take(this.cell, now, cost);
  }

  /** Gives back what a `take` at the same `now` consumed. */
  refund(now: number, cost: number): void {
    this.algorithm.refund(this.cell, now, cost);
  }

  /** The current allowance without consuming anything. */
  peek(): RateLimitDecision {
    const now = this.clock.monotonic();
    return toDecision(this.algorithm, this.cell, now, 0);
  }

  /** The cell's numbers for a checkpoint, or undefined when it is at its full allowance. */
  save(now: number): number[] | undefined {
    return this.algorithm.saveCell?.(this.cell, now);
  }

  /** Replaces the cell with a saved one (see `RateLimitAlgorithm.loadCell`); true when applied. */
  load(data: readonly number[], savedAt: number, now: number): boolean {
    const cell = this.algorithm.loadCell?.(data, savedAt, now);
    if (cell === undefined) return false;
    this.cell = cell;
    return true;
  }
}

/** An in-memory keyed limiter for `config` (validated; INVALID_CONFIG names the bad field). */
export function createRateLimiter(config: RateLimiterConfigInput, options: KeyedLimiterOptions = {}): KeyedRateLimiter {
  return new KeyedRateLimiter(createAlgorithm(parseSection(rateLimiterConfigSchema, config, 'config')), options);
}
