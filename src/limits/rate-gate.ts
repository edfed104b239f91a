import { RateLimitedError, ShuttingDownError, type RateLimitScope } from '../errors.js';
import type { Clock } from './clock.js';
import type { RateLimitConfig, RateLimiterConfig } from './config.js';
import { createAlgorithm, KeyedRateLimiter, SingleRateLimiter } from './keyed-limiter.js';
import { boundedKey, redisKeyPart } from './keys.js';
import { OperationTable, type OperationEntry } from './operation-table.js';
import { RedisRateLimiter, type RedisDecision } from './redis-limiter.js';
import type { RedisRateLimitStore } from './redis-store.js';
import { RateLimitStoreUnavailableError } from './store-errors.js';
import { TopK } from './top-k.js';

interface UserOverride {
  readonly local: SingleRateLimiter;
  readonly remote: RedisRateLimiter | undefined;
}

interface Pending {
  timer: NodeJS.Timeout;
  reject: (error: unknown) => void;
}

const SCOPES: readonly RateLimitScope[] = ['global', 'operation', 'user'];

/** Users whose refusals are counted for the busiest-users list (space-saving counters, bounded). */
export const REJECTED_USERS_TRACKED = 100;

/**
 * The three scopes (global, operation, user) and the check over them. Order: global, then operation, then
 * user; a refusal by a later scope refunds what the earlier ones took, so a refused call consumes nothing
 * anywhere. In memory the check is synchronous and allocation-free; on Redis the scopes are decided by
 * concurrent script calls (one round trip), then refunded the same way on refusal.
 */
export class RateGate {
  readonly operations: OperationTable;
  /** Checks decided without the store, by failure mode. */
  readonly storeFailures = { fail_open: 0, fail_closed: 0, local_fallback: 0 };
  /** Refusals per user (any scope), heaviest kept in bounded memory. */
  readonly rejectedUsers = new TopK(REJECTED_USERS_TRACKED);
  private globalLocal: SingleRateLimiter | undefined;
  private globalRemote: RedisRateLimiter | undefined;
  private userLocal: KeyedRateLimiter | undefined;
  private userRemote: RedisRateLimiter | undefined;
  private readonly overrides = new Map<string, UserOverride>();
  private readonly pending = new Set<Pending>();
  private readonly maxKeyLength: number;
  private closed = false;
  /** False when no limiter is configured: the check returns at once. */
  active = false;

  constructor(
    private readonly config: RateLimitConfig,
    private readonly clock: Clock,
    readonly store: RedisRateLimitStore | undefined,
  ) {
    this.maxKeyLength = config.maxKeyLength;
    this.operations = new OperationTable(config.maxTrackedOperations);
    if (config.global) {
      this.globalLocal = new SingleRateLimiter(createAlgorithm(config.global), clock);
      this.globalRemote = store && new RedisRateLimiter(store, config.global, 'g', this.maxKeyLength);
    }
    if (config.perUser) {
      this.userLocal = new KeyedRateLimiter(createAlgorithm(config.perUser), {
        clock,
        maxKeys: config.maxTrackedUsers,
        idleMs: config.userIdleMs,
        maxKeyLength: config.maxKeyLength,
      });
      this.userRemote = store && new RedisRateLimiter(store, config.perUser, 'u', this.maxKeyLength);
    }
    for (const [name, policy] of Object.entries(config.perOperation)) this.configureOperation(name, policy);
    this.refreshActive();
  }

  /** Sets or (with null) removes an operation's own limit. */
  configureOperation(name: string, policy: RateLimiterConfig | null): void {
    const entry = this.operations.own(name);
    entry.config = policy ?? undefined;
    entry.local = policy ? new SingleRateLimiter(createAlgorithm(policy), this.clock) : undefined;
    entry.remote = policy && this.store ? new RedisRateLimiter(this.store, policy, `o:${redisKeyPart(name, this.maxKeyLength)}`, this.maxKeyLength) : undefined;
    this.refreshActive();
  }

  /** Sets or (with null) removes one user's own limit, replacing the default policy for that user. */
  configureUser(userId: string, policy: RateLimiterConfig | null): void {
    const key = this.userKey(userId);
    if (policy === null) this.overrides.delete(key);
    else {
      this.overrides.set(key, {
        local: new SingleRateLimiter(createAlgorithm(policy), this.clock),
        remote: this.store && new RedisRateLimiter(this.store, policy, 'u', this.maxKeyLength),
      });
    }
    this.refreshActive();
  }

  /** Users with their own limit. */
  get overrideCount(): number {
    return this.overrides.size;
  }

  /** The per-user default limiter, when configured. */
  get users(): KeyedRateLimiter | undefined {
    return this.userLocal;
  }

  /** The check; see the class comment. */
  check(operation: string, userId: string | undefined): void | Promise<void> {
    if (!this.active) return;
    if (this.store !== undefined) return this.checkRemote(operation, userId);
    return this.checkLocal(operation, userId);
  }

  /** The in-memory check (also the store's `local_fallback`). */
  checkLocal(operation: string, userId: string | undefined): void | Promise<void> {
    const now = this.clock();
    const entry = this.operations.get(operation);
    const global = this.globalLocal;
    let wait = 0;
    let r: number;
    if (global !== undefined) {
      r = global.take(now, 1);
      if (r > 0) {
        entry.globalRejected++;
        if (userId !== undefined) this.rejectedUsers.add(this.userKey(userId));
        throw new RateLimitedError('global', Math.ceil(r));
      }
      entry.globalAllowed++;
      if (r < 0) wait = -r;
    }
    const own = entry.local;
    if (own !== undefined) {
      r = own.take(now, 1);
      if (r > 0) {
        entry.operationRejected++;
        if (userId !== undefined) this.rejectedUsers.add(this.userKey(userId));
        global?.refund(now, 1);
        throw new RateLimitedError('operation', Math.ceil(r));
      }
      entry.operationAllowed++;
      if (-r > wait) wait = -r;
    }
    if (userId !== undefined && (this.userLocal !== undefined || this.overrides.size > 0)) {
      const key = userId.length > this.maxKeyLength || userId.charCodeAt(0) === 35 ? boundedKey(userId, this.maxKeyLength) : userId;
      const override = this.overrides.size === 0 ? undefined : this.overrides.get(key);
      if (override !== undefined) r = override.local.take(now, 1);
      else if (this.userLocal !== undefined) r = this.userLocal.take(key, now, 1);
      else r = Number.NaN;
      if (r > 0) {
        entry.userRejected++;
        this.rejectedUsers.add(key);
        own?.refund(now, 1);
        global?.refund(now, 1);
        throw new RateLimitedError('user', Math.ceil(r));
      }
      if (r === r) entry.userAllowed++;
      if (-r > wait) wait = -r;
    }
    if (wait > 0) return this.delay(wait);
  }

  private async checkRemote(operation: string, userId: string | undefined): Promise<void> {
    const store = this.store!;
    const entry = this.operations.get(operation);
    const user = userId === undefined ? undefined : (this.overrides.get(this.userKey(userId))?.remote ?? this.userRemote);
    const limiters = [this.globalRemote, entry.remote, user];
    if (limiters.every((l) => l === undefined)) return;
    if (!store.breaker.allow()) return this.withoutStore(operation, userId);
    const keys = ['', '', userId ?? ''];
    const settled = await Promise.allSettled(limiters.map((l, i) => l?.tryAcquire(keys[i], 1)));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed !== undefined) {
      store.failed(failed.reason);
      void this.refund(limiters, keys, settled);
      return this.withoutStore(operation, userId);
    }
    store.succeeded();
    const decisions = settled.map((s) => (s as PromiseFulfilledResult<RedisDecision | undefined>).value);
    const refused = decisions.findIndex((d) => d !== undefined && !d.allowed);
    for (let i = 0; i < 3; i++) {
      const d = decisions[i];
      if (d === undefined || (refused >= 0 && i > refused)) continue;
      count(entry, i, d.allowed);
    }
    if (refused >= 0) {
      if (userId !== undefined) this.rejectedUsers.add(this.userKey(userId));
      await this.refund(limiters, keys, settled);
      throw new RateLimitedError(SCOPES[refused]!, decisions[refused]!.retryAfterMs);
    }
    const wait = Math.max(...decisions.map((d) => d?.waitMs ?? 0));
    if (wait > 0) await this.delay(wait);
  }

  private async refund(limiters: (RedisRateLimiter | undefined)[], keys: string[], settled: PromiseSettledResult<RedisDecision | undefined>[]): Promise<void> {
    const refunds: Promise<void>[] = [];
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled' && s.value?.allowed) refunds.push(limiters[i]!.refund(keys[i]!, 1, s.value));
    });
    // Best effort: a refund lost to an outage only makes the limit briefly stricter, never looser.
    await Promise.allSettled(refunds);
  }

  private withoutStore(operation: string, userId: string | undefined): void | Promise<void> {
    const store = this.store!;
    switch (store.config.failureMode) {
      case 'fail_open':
        this.storeFailures.fail_open++;
        return;
      case 'fail_closed':
        this.storeFailures.fail_closed++;
        throw new RateLimitStoreUnavailableError(Math.max(1, store.breaker.retryAfterMs()), store.lastError);
      case 'local_fallback':
        this.storeFailures.local_fallback++;
        return this.checkLocal(operation, userId);
    }
  }

  private delay(ms: number): Promise<void> {
    if (this.closed) return Promise.reject(new ShuttingDownError());
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = {
        reject,
        timer: setTimeout(() => {
          this.pending.delete(pending);
          resolve();
        }, ms),
      };
      // Not unref'd: the caller awaits its leaky-bucket turn, which must keep the process alive.
      this.pending.add(pending);
    });
  }

  /** Refuses the callers waiting for a leaky-bucket turn and every later wait. */
  close(): void {
    this.closed = true;
    for (const pending of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new ShuttingDownError());
    }
    this.pending.clear();
  }

  /** Callers now waiting for their leaky-bucket turn. */
  get waiting(): number {
    return this.pending.size;
  }

  private userKey(userId: string): string {
    return userId.length > this.maxKeyLength || userId.charCodeAt(0) === 35 ? boundedKey(userId, this.maxKeyLength) : userId;
  }

  private refreshActive(): void {
    let anyOperation = false;
    for (const entry of this.operations.entries()) if (entry.config !== undefined) anyOperation = true;
    this.active = this.config.enabled && (this.globalLocal !== undefined || this.userLocal !== undefined || this.overrides.size > 0 || anyOperation);
  }
}

function count(entry: OperationEntry, scope: number, allowed: boolean): void {
  if (scope === 0) allowed ? entry.globalAllowed++ : entry.globalRejected++;
  else if (scope === 1) allowed ? entry.operationAllowed++ : entry.operationRejected++;
  else allowed ? entry.userAllowed++ : entry.userRejected++;
}
