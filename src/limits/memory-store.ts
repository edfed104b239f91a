import { InvalidConfigError, type RateLimitScope } from '../errors.js';
import { hotPathClock, type Clock } from '../internal/time.js';
import { scalePolicy, type RateLimiterConfig } from './config.js';
import { checkCost, checkKey, createAlgorithm, KeyedRateLimiter, SingleRateLimiter } from './keyed-limiter.js';
import type { RateLimitDecision } from './decision.js';
import { savedLimiters, type LimiterState, type SavedLimiter } from './limiter-state.js';
import type { RateLimitStore, RateLimitStoreStatus } from './store.js';

/** The per-user state one limiter keeps, bounded: users tracked, evicted at capacity, expired when idle. */
export interface TrackedUsers {
  readonly size: number;
  readonly evicted: number;
  readonly expired: number;
}

/** Options of {@link MemoryRateLimitStore}. */
export interface MemoryStoreOptions {
  /** Clock whose monotonic time the limiters read; default the system clock, read through `node:perf_hooks`. */
  clock?: Clock;
  /** Users whose state is kept; the least recently seen is evicted past it. Default 100,000. */
  maxTrackedUsers?: number;
  /** A user unseen this long has its state dropped; default 10 minutes. */
  userIdleMs?: number;
  /** Longer keys are kept as a digest; default 256. */
  maxKeyLength?: number;
  /**
   * Share of every policy this store admits, default 1. A {@link FallbackRateLimitStore}'s local store gets
   * `1 / replicas`, so the replicas together stay within each limit while the shared store is away.
   */
  share?: number;
}

/**
 * Limits kept in this process: one cell for the global limit and for each operation's, a bounded map of
 * per-user cells, and users' own policies. Decisions are synchronous and allocate nothing.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly type = 'memory';
  /** Share of every policy admitted. */
  readonly share: number;
  private global: SingleRateLimiter | undefined;
  private readonly operations = new Map<string, SingleRateLimiter>();
  private userDefault: KeyedRateLimiter | undefined;
  private readonly overrides = new Map<string, SingleRateLimiter>();
  private readonly clock: Clock;
  private readonly maxTrackedUsers: number;
  private readonly userIdleMs: number;
  private readonly maxKeyLength: number;

  constructor(options: MemoryStoreOptions = {}) {
    this.clock = options.clock ?? hotPathClock;
    this.maxTrackedUsers = options.maxTrackedUsers ?? 100_000;
    this.userIdleMs = options.userIdleMs ?? 600_000;
    this.maxKeyLength = options.maxKeyLength ?? 256;
    this.share = options.share ?? 1;
    if (!(this.share > 0 && this.share <= 1)) throw new InvalidConfigError('share', `must be in (0, 1], got ${this.share}`);
  }

  /** Sets (null: removes) a policy; a new policy starts with a full allowance. See {@link RateLimitStore.setPolicy}. */
  setPolicy(scope: RateLimitScope, key: string | undefined, policy: RateLimiterConfig | null): void {
    const single = policy === null ? undefined : new SingleRateLimiter(createAlgorithm(scalePolicy(policy, this.share)), this.clock);
    if (scope === 'global') this.global = single;
    else if (scope === 'operation') setOrDelete(this.operations, key ?? '', single);
    else if (key !== undefined) setOrDelete(this.overrides, key, single);
    else {
      this.userDefault =
        policy === null
          ? undefined
          : new KeyedRateLimiter(createAlgorithm(scalePolicy(policy, this.share)), {
              clock: this.clock,
              maxKeys: this.maxTrackedUsers,
              idleMs: this.userIdleMs,
              maxKeyLength: this.maxKeyLength,
            });
    }
  }

  /** One decision, synchronously and without allocating; `now` defaults to this store's clock. See {@link RateLimitStore.consume}. */
  consume(scope: RateLimitScope, key: string, cost: number, now = this.clock.monotonic()): number {
    if (scope === 'user') {
      if (this.overrides.size > 0) {
        const own = this.overrides.get(key);
        if (own !== undefined) return own.take(now, cost);
      }
      return this.userDefault === undefined ? Number.NaN : this.userDefault.take(key, now, cost);
    }
    const limiter = scope === 'global' ? this.global : this.operations.get(key);
    return limiter === undefined ? Number.NaN : limiter.take(now, cost);
  }

  /** `key`'s allowance now, without consuming (see {@link RateLimitStore.quota}); undefined when no limit applies. */
  quota(scope: RateLimitScope, key: string): RateLimitDecision | undefined {
    if (scope === 'user') {
      const own = this.overrides.size > 0 ? this.overrides.get(key) : undefined;
      return own !== undefined ? own.peek() : this.userDefault?.peek(key);
    }
    return (scope === 'global' ? this.global : this.operations.get(key))?.peek();
  }

  /** Gives back `cost` a `consume` of the same call took. */
  refund(scope: RateLimitScope, key: string, cost: number, now = this.clock.monotonic()): void {
    if (scope === 'user') {
      const own = this.overrides.size > 0 ? this.overrides.get(key) : undefined;
      if (own !== undefined) own.refund(now, cost);
      else this.userDefault?.refund(key, now, cost);
      return;
    }
    (scope === 'global' ? this.global : this.operations.get(key))?.refund(now, cost);
  }

  /** The same decision as `consume`, validated: INVALID_CONFIG for a key that is not a string or a bad cost. */
  tryConsume(scope: RateLimitScope, key: string, cost = 1): number {
    checkKey(key);
    checkCost(cost);
    return this.consume(scope, key, cost);
  }

  /** Always healthy, state `memory`. */
  status(): RateLimitStoreStatus {
    return { type: this.type, state: 'memory', healthy: true };
  }

  /** The per-user default limiter's bookkeeping, when a default policy is set. */
  get users(): TrackedUsers | undefined {
    return this.userDefault;
  }

  /** Drops idle users' state, inspecting at most `budget`. */
  sweep(budget: number): void {
    this.userDefault?.sweep(budget);
  }

  /** Every limiter's state worth keeping (at most `maxTrackedUsers` users), times relative to now. */
  exportState(): LimiterState {
    const now = this.clock.monotonic();
    const limiters: SavedLimiter[] = [];
    const single = (scope: RateLimitScope, key: string | undefined, limiter: SingleRateLimiter | undefined) => {
      const data = limiter?.save(now);
      if (data !== undefined) limiters.push({ scope, key: key ?? null, policy: limiter!.config, cells: [['', ...data]] });
    };
    single('global', undefined, this.global);
    for (const [name, limiter] of this.operations) single('operation', name, limiter);
    for (const [user, limiter] of this.overrides) single('user', user, limiter);
    const users = this.userDefault?.save(now, this.maxTrackedUsers);
    if (users !== undefined && users.length > 0)
      limiters.push({ scope: 'user', key: null, policy: this.userDefault!.config, cells: users });
    return { version: 1, savedAtMs: Date.now(), limiters };
  }

  /**
   * Applies saved state (from `exportState`, e.g. a checkpoint of the last run) to the limiters whose policy
   * is the same; users seen since start-up keep their live state. Returns how many cells were restored.
   */
  restoreState(state: unknown): number {
    const now = this.clock.monotonic();
    let restored = 0;
    for (const { saved, savedAt } of savedLimiters(state, now)) {
      if (saved.scope === 'user' && saved.key === null) {
        const users = this.userDefault;
        if (users === undefined || !samePolicy(users.config, saved.policy)) continue;
        for (const [key, ...data] of saved.cells) if (users.load(key, data, savedAt, now)) restored++;
        continue;
      }
      const limiter =
        saved.scope === 'global' ? this.global : (saved.scope === 'operation' ? this.operations : this.overrides).get(saved.key ?? '');
      const data = saved.cells[0]?.slice(1) as number[] | undefined;
      if (limiter !== undefined && data !== undefined && samePolicy(limiter.config, saved.policy) && limiter.load(data, savedAt, now))
        restored++;
    }
    return restored;
  }
}

function setOrDelete<V>(map: Map<string, V>, key: string, value: V | undefined): void {
  if (value === undefined) map.delete(key);
  else map.set(key, value);
}

function samePolicy(a: RateLimiterConfig, b: unknown): boolean {
  if (typeof b !== 'object' || b === null) return false;
  const other = b as Record<string, unknown>;
  const own = a as Record<string, unknown>;
  const keys = Object.keys(own);
  return keys.length === Object.keys(other).length && keys.every((k) => own[k] === other[k]);
}
