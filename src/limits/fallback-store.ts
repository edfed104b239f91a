import { InvalidConfigError, isProductionError, type RateLimitScope } from '../errors.js';
import type { OperationLogger } from '../pipeline.js';
import { hotPathClock, type Clock } from '../internal/time.js';
import type { FailureMode, RateLimiterConfig } from './config.js';
import { MemoryRateLimitStore, type MemoryStoreOptions } from './memory-store.js';
import { StoreBreaker, type StoreBreakerView } from './store-breaker.js';
import { RateLimitStoreUnavailableError } from './store-errors.js';
import type { RateLimitStore, RateLimitStoreStatus } from './store.js';

/** Options of {@link FallbackRateLimitStore}. */
export interface FallbackStoreOptions extends Omit<MemoryStoreOptions, 'share'> {
  /** What decisions do while the primary store is away; default `local_fallback`. */
  failureMode?: FailureMode;
  /** Failed rounds of calls in a row that open the breaker; default 3. */
  breakerThreshold?: number;
  /** How long the breaker stays open before one decision probes the primary; default 1000 ms. */
  breakerCooldownMs?: number;
  /**
   * Share of every limit this replica admits on its own under `local_fallback`: `1 / replicas`, so K
   * replicas together stay within the limit while the primary is away. Default 1 (one replica).
   */
  localShare?: number;
  /** The store deciding under `local_fallback`; default a {@link MemoryRateLimitStore} with `localShare`. */
  local?: RateLimitStore;
  /** Receives the switches to and from the failure mode. */
  logger?: OperationLogger;
}

/**
 * Insurance for a shared store: decisions go to `primary` while it answers; failures feed a breaker, and once
 * it opens (failed rounds of calls, not one slow moment) decisions follow the failure mode without touching
 * the primary until a probe succeeds. A call that fails while the breaker is still closed is refused under
 * `fail_closed` and `local_fallback` (a store error, never counted as the caller's limit) and admitted under
 * `fail_open`. Under `local_fallback` an open breaker sends decisions to the local store, which admits
 * `localShare` of every limit: synchronously, as the memory store does.
 */
export class FallbackRateLimitStore implements RateLimitStore {
  readonly type: string;
  /** The store breaker's state (`closed`, `open`, `half_open`) and how often it opened. */
  get breaker(): StoreBreakerView {
    return this.storeBreaker;
  }
  private readonly storeBreaker: StoreBreaker;
  readonly failureMode: FailureMode;
  /** The store deciding under `local_fallback`. */
  readonly local: RateLimitStore | undefined;
  /** Decisions made without the primary, by the failure mode that made them. */
  readonly decidedWithout = { fail_open: 0, fail_closed: 0, local_fallback: 0 };
  /** Primary calls that failed (error or timeout). */
  failures = 0;
  /** Times decisions switched to the failure mode. */
  fallbacks = 0;
  /** Message of the last primary failure. */
  lastError: string | undefined;
  private inFallback = false;
  private readonly clock: Clock;
  private readonly cooldownMs: number;
  private readonly subscription: Disposable | undefined;

  constructor(
    readonly primary: RateLimitStore,
    private readonly options: FallbackStoreOptions = {},
  ) {
    const share = options.localShare ?? 1;
    if (!(share > 0 && share <= 1)) throw new InvalidConfigError('localShare', `must be in (0, 1], got ${share}`);
    this.type = primary.type;
    this.clock = options.clock ?? hotPathClock;
    this.failureMode = options.failureMode ?? 'local_fallback';
    this.cooldownMs = options.breakerCooldownMs ?? 1000;
    this.storeBreaker = new StoreBreaker(options.breakerThreshold ?? 3, this.cooldownMs, this.clock);
    this.local = this.failureMode === 'local_fallback' ? (options.local ?? new MemoryRateLimitStore({ ...options, share })) : undefined;
    this.subscription = primary.onAvailable?.(() => this.storeBreaker.probeNow());
  }

  /** Sets the policy on the primary and on the local store (which scales it to its share). */
  setPolicy(scope: RateLimitScope, key: string | undefined, policy: RateLimiterConfig | null): void {
    this.primary.setPolicy(scope, key, policy);
    this.local?.setPolicy(scope, key, policy);
  }

  /** The primary's decision while the breaker lets calls through, else the failure mode's; see the class comment. */
  consume(scope: RateLimitScope, key: string, cost: number, now?: number): number | Promise<number> {
    if (!this.storeBreaker.allow()) return this.without(scope, key, cost, now);
    const startedAt = now ?? this.clock.monotonic();
    let result: number | Promise<number>;
    try {
      result = this.primary.consume(scope, key, cost, now);
    } catch (error) {
      return this.failed(error, startedAt, scope, key, cost);
    }
    if (typeof result === 'number') {
      this.succeeded();
      return result;
    }
    return result.then(this.onResult, (error: unknown) => this.failed(error, startedAt, scope, key, cost));
  }

  /** Gives back to the store that decided; best effort, never rejects. */
  refund(scope: RateLimitScope, key: string, cost: number, now?: number): void | Promise<void> {
    // Where the take went is where it goes back: the local store while the breaker is open, else the primary.
    if (this.breaker.state === 'open') return this.local?.refund(scope, key, cost, now);
    try {
      const done = this.primary.refund(scope, key, cost, now);
      if (done !== undefined) return done.catch(ignore);
    } catch {
      // Best effort: a lost refund only makes the limit briefly stricter.
    }
  }

  private readonly onResult = (value: number): number => {
    this.succeeded();
    return value;
  };

  private failed(error: unknown, startedAt: number, scope: RateLimitScope, key: string, cost: number): number | Promise<number> {
    // Our own errors (a missing ioredis, a bad key) are not outages: the caller gets them as they are.
    if (isProductionError(error)) throw error;
    this.failures++;
    this.lastError = error instanceof Error ? error.message : String(error);
    const opened = this.storeBreaker.failure(startedAt);
    if (!this.inFallback) {
      this.inFallback = true;
      this.fallbacks++;
      this.log('warn', `Rate-limit store unavailable; applying ${this.failureMode}`, {
        failureMode: this.failureMode,
        error: this.lastError,
      });
    }
    if (opened) this.log('warn', 'Rate-limit store breaker opened; decisions skip the store', { cooldownMs: this.cooldownMs });
    if (this.failureMode === 'local_fallback' && this.breaker.state === 'closed') {
      // One failure is not an outage (and may be our own slow moment): refuse this call, decide nothing locally.
      this.decidedWithout.fail_closed++;
      throw new RateLimitStoreUnavailableError(this.cooldownMs, this.lastError);
    }
    return this.without(scope, key, cost);
  }

  private without(scope: RateLimitScope, key: string, cost: number, now?: number): number | Promise<number> {
    switch (this.failureMode) {
      case 'fail_open':
        this.decidedWithout.fail_open++;
        return Number.NaN;
      case 'fail_closed':
        this.decidedWithout.fail_closed++;
        throw new RateLimitStoreUnavailableError(Math.max(1, this.storeBreaker.retryAfterMs()), this.lastError);
      case 'local_fallback':
        this.decidedWithout.local_fallback++;
        return this.local!.consume(scope, key, cost, now);
    }
  }

  private succeeded(): void {
    this.storeBreaker.success();
    if (!this.inFallback) return;
    this.inFallback = false;
    this.log('info', `Rate-limit decisions are back on the ${this.type} store`, { failureMode: this.failureMode, failures: this.failures });
  }

  private log(level: 'info' | 'warn', message: string, metadata: Record<string, unknown>): void {
    this.options.logger?.log(level, 'rate_limiting', 'rate_limit_store', message, metadata);
  }

  /** The primary's readiness. */
  ready(): Promise<void> {
    return this.primary.ready?.() ?? Promise.resolve();
  }

  /** The primary's status with the breaker, the failure mode, the local share and the failures. */
  status(): RateLimitStoreStatus {
    const primary = this.primary.status?.() ?? { type: this.type, state: 'custom', healthy: true };
    return {
      ...primary,
      state: this.inFallback ? 'fallback' : primary.state,
      healthy: !this.inFallback && primary.healthy,
      breaker: this.breaker.state,
      breakerOpened: this.breaker.opened,
      failureMode: this.failureMode,
      localShare: this.local === undefined ? null : (this.options.localShare ?? 1),
      failures: this.failures,
      fallbacks: this.fallbacks,
      lastError: this.lastError ?? primary.lastError ?? null,
    };
  }

  /** Closes the local store and the primary. */
  async close(): Promise<void> {
    this.subscription?.[Symbol.dispose]();
    await this.local?.close?.();
    await this.primary.close?.();
  }
}

function ignore(): void {}
