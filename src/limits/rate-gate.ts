import { InvalidConfigError, RateLimitedError, ShuttingDownError, type RateLimitScope } from '../errors.js';
import type { Clock } from '../internal/time.js';
import type { RateLimitConfig, RateLimiterConfig } from './config.js';
import { boundedKey } from './keys.js';
import { OperationTable, type OperationEntry } from './operation-table.js';
import type { CallRateLimit, RateLimitDecision } from './decision.js';
import type { RateLimitStore } from './store.js';
import { TopK } from './top-k.js';

interface Pending {
  timer: NodeJS.Timeout;
  reject: (error: unknown) => void;
}

/** Users whose refusals are counted for the busiest-users list (space-saving counters, bounded). */
export const REJECTED_USERS_TRACKED = 100;

/** One scope's outcome in a check: a store's number, a promise of one, or undefined (the scope has no limit). */
type Outcome = number | Promise<number> | undefined;

/**
 * The three scopes (global, operation, user) and the check over them, on one {@link RateLimitStore}. Order:
 * global, then operation, then user; a refusal by a later scope refunds what the earlier ones took, so a
 * refused call consumes nothing anywhere. While the store answers synchronously (memory) the check is
 * synchronous, stops at the first refusal and allocates nothing; once it answers with a promise (Redis) the
 * remaining scopes are asked at once (one round trip) and refunded the same way on refusal.
 */
export class RateGate {
  readonly operations: OperationTable;
  /** Refusals per user (any scope), heaviest kept in bounded memory. */
  readonly rejectedUsers = new TopK(REJECTED_USERS_TRACKED);
  private hasGlobal = false;
  private hasUserDefault = false;
  private readonly overrides = new Set<string>();
  private readonly pending = new Set<Pending>();
  private readonly maxKeyLength: number;
  private closed = false;
  /** False when no limiter is configured: the check returns at once. */
  active = false;

  constructor(
    private readonly config: RateLimitConfig,
    readonly store: RateLimitStore,
    private readonly clock: Clock,
  ) {
    this.maxKeyLength = config.maxKeyLength;
    this.operations = new OperationTable(config.maxTrackedOperations);
    this.hasGlobal = config.global !== null;
    if (config.global) store.setPolicy('global', undefined, config.global);
    this.hasUserDefault = config.perUser !== null;
    if (config.perUser) store.setPolicy('user', undefined, config.perUser);
    for (const [name, policy] of Object.entries(config.perOperation)) this.configureOperation(name, policy);
    this.refreshActive();
  }

  /** Sets or (with null) removes an operation's own limit. */
  configureOperation(name: string, policy: RateLimiterConfig | null): void {
    this.operations.own(name).config = policy ?? undefined;
    this.store.setPolicy('operation', name, policy);
    this.refreshActive();
  }

  /** Sets or (with null) removes the global limit or the policy of every user (a configuration reload). */
  configureDefault(scope: 'global' | 'user', policy: RateLimiterConfig | null): void {
    if (scope === 'global') this.hasGlobal = policy !== null;
    else this.hasUserDefault = policy !== null;
    this.store.setPolicy(scope, undefined, policy);
    this.refreshActive();
  }

  /** Sets or (with null) removes one user's own limit, replacing the default policy for that user. */
  configureUser(userId: string, policy: RateLimiterConfig | null): void {
    const key = this.userKey(userId);
    if (policy === null) this.overrides.delete(key);
    else this.overrides.add(key);
    this.store.setPolicy('user', key, policy);
    this.refreshActive();
  }

  /** Users with their own limit. */
  get overrideCount(): number {
    return this.overrides.size;
  }

  /** The check; see the class comment. INVALID_CONFIG for an operation name or user id that is not a string. */
  check(operation: string, userId: string | undefined): void | Promise<void> {
    if (typeof operation !== 'string') throw new InvalidConfigError('operationName', `must be a string, got ${typeName(operation)}`);
    if (userId !== undefined && typeof userId !== 'string')
      throw new InvalidConfigError('userId', `must be a string or undefined, got ${typeName(userId)}`);
    if (!this.active) return;
    const store = this.store;
    const entry = this.operations.get(operation);
    const key = this.limitedUser(userId);
    // One clock reading for the whole check: in-process stores decide every scope at the same instant.
    const now = this.clock.monotonic();
    let wait = 0;
    let r: Outcome;
    let global: Outcome;
    let own: Outcome;
    // A store that throws synchronously part-way (ours never do) leaves an earlier scope's unit taken: stricter.
    if (this.hasGlobal) {
      global = r = store.consume('global', '', 1, now);
      if (typeof r !== 'number')
        return this.settle(entry, operation, userId, key, now, r, this.askOperation(entry, operation, now), this.askUser(key, now));
      if (r > 0) return this.refuse('global', '', r, entry, userId, global, own, operation, now);
      if (r === r) entry.globalAllowed++;
      if (r < 0) wait = -r;
    }
    if (entry.config !== undefined) {
      own = r = store.consume('operation', operation, 1, now);
      if (typeof r !== 'number') return this.settle(entry, operation, userId, key, now, global, r, this.askUser(key, now));
      if (r > 0) return this.refuse('operation', operation, r, entry, userId, global, undefined, operation, now);
      if (r === r) entry.operationAllowed++;
      if (-r > wait) wait = -r;
    }
    if (key !== undefined) {
      r = store.consume('user', key, 1, now);
      if (typeof r !== 'number') return this.settle(entry, operation, userId, key, now, global, own, r);
      if (r > 0) return this.refuse('user', key, r, entry, userId, global, own, operation, now);
      if (r === r) entry.userAllowed++;
      if (-r > wait) wait = -r;
    }
    if (wait > 0) return this.delay(wait);
  }

  /**
   * The call's decision now, read from the store without consuming (see {@link RateLimitStore.quota}): of the
   * scopes that apply, the one with the least remaining, the narrower on a tie. Undefined when none applies
   * or the store cannot tell.
   */
  decision(operation: string, userId: string | undefined): CallRateLimit | undefined {
    if (!this.active || this.store.quota === undefined) return undefined;
    let best: RateLimitDecision | undefined;
    let scope: RateLimitScope = 'global';
    const consider = (s: RateLimitScope, key: string): void => {
      const q = this.store.quota!(s, key);
      if (q !== undefined && (best === undefined || q.remaining <= best.remaining)) {
        best = q;
        scope = s;
      }
    };
    if (this.hasGlobal) consider('global', '');
    if (this.operations.get(operation).config !== undefined) consider('operation', operation);
    const key = this.limitedUser(userId);
    if (key !== undefined) consider('user', key);
    return best === undefined ? undefined : { ...best, scope };
  }

  /** A refusal by `scope` after `retryMs`, with the scope's policy as the store knows it. */
  private refusal(scope: RateLimitScope, key: string, retryMs: number): RateLimitedError {
    const retryAfterMs = Math.ceil(retryMs);
    const q = this.store.quota?.(scope, key);
    const decision: CallRateLimit | undefined =
      q === undefined
        ? undefined
        : { allowed: false, remaining: 0, limit: q.limit, retryAfterMs, resetMs: q.resetMs, waitMs: 0, windowMs: q.windowMs, scope };
    return new RateLimitedError(scope, retryAfterMs, undefined, decision);
  }

  /** The user's key when a user limit (the default or the user's own) applies to `userId`. */
  private limitedUser(userId: string | undefined): string | undefined {
    if (userId === undefined || (!this.hasUserDefault && this.overrides.size === 0)) return undefined;
    const key = this.userKey(userId);
    return this.hasUserDefault || this.overrides.has(key) ? key : undefined;
  }

  private askOperation(entry: OperationEntry, operation: string, now: number): Outcome {
    return entry.config === undefined ? undefined : this.ask('operation', operation, now);
  }

  private askUser(key: string | undefined, now: number): Outcome {
    return key === undefined ? undefined : this.ask('user', key, now);
  }

  /** A scope asked while another one's answer is pending: a synchronous throw becomes that scope's failure. */
  private ask(scope: RateLimitScope, key: string, now: number): Outcome {
    try {
      return this.store.consume(scope, key, 1, now);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** A synchronous refusal by `scope`: counts it, gives back what the scopes before it took, throws. */
  private refuse(
    scope: RateLimitScope,
    key: string,
    retryMs: number,
    entry: OperationEntry,
    userId: string | undefined,
    global: Outcome,
    own: Outcome,
    operation: string,
    now: number,
  ): never {
    count(entry, scope, retryMs);
    if (userId !== undefined) this.rejectedUsers.add(this.userKey(userId));
    if (typeof own === 'number' && own <= 0) void this.giveBack('operation', operation, now);
    if (typeof global === 'number' && global <= 0) void this.giveBack('global', '', now);
    throw this.refusal(scope, key, retryMs);
  }

  /** The rest of a check once the store answered with a promise: every scope asked is settled, then decided in order. */
  private async settle(
    entry: OperationEntry,
    operation: string,
    userId: string | undefined,
    key: string | undefined,
    now: number,
    global: Outcome,
    own: Outcome,
    user: Outcome,
  ): Promise<void> {
    const [g, o, u] = await Promise.allSettled([global, own, user]);
    const asked: Asked[] = [
      { scope: 'global', key: '', settled: g },
      { scope: 'operation', key: operation, settled: o },
      { scope: 'user', key: key ?? '', settled: u },
    ];
    // The first scope, in order, that failed (the store's error) or refused decides the call.
    const stop = asked.find((a) => a.settled.status === 'rejected') ?? asked.find((a) => valueOf(a) > 0);
    if (stop !== undefined) {
      // Give back what the other scopes took (later ones included: they were asked at the same time).
      await Promise.all(asked.filter((a) => a !== stop && valueOf(a) <= 0).map((a) => this.giveBack(a.scope, a.key, now)));
      if (stop.settled.status === 'rejected') throw stop.settled.reason;
    }
    let wait = 0;
    for (const a of asked) {
      const v = valueOf(a);
      count(entry, a.scope, v);
      if (a === stop) {
        if (userId !== undefined) this.rejectedUsers.add(this.userKey(userId));
        throw this.refusal(a.scope, a.key, v);
      }
      if (-v > wait) wait = -v;
    }
    if (wait > 0) await this.delay(wait);
  }

  /** Best effort: a refund lost to an outage only makes the limit briefly stricter, never looser. */
  private async giveBack(scope: RateLimitScope, key: string, now: number): Promise<void> {
    try {
      await this.store.refund(scope, key, 1, now);
    } catch {
      // See above.
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
    this.active = this.config.enabled && (this.hasGlobal || this.hasUserDefault || this.overrides.size > 0 || anyOperation);
  }
}

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/** One scope of a check on a store that answered with a promise. */
interface Asked {
  readonly scope: RateLimitScope;
  readonly key: string;
  readonly settled: PromiseSettledResult<number | undefined>;
}

/** The store's number for a scope asked, NaN when it was not asked, failed or has no limit. */
function valueOf(asked: Asked): number {
  return asked.settled.status === 'fulfilled' && asked.settled.value !== undefined ? asked.settled.value : Number.NaN;
}

/** Counts one scope's decision; NaN (not asked, no limit, no decision) counts nothing. */
function count(entry: OperationEntry, scope: RateLimitScope, value: number): void {
  if (value !== value) return;
  const allowed = !(value > 0);
  if (scope === 'global') {
    if (allowed) entry.globalAllowed++;
    else entry.globalRejected++;
  } else if (scope === 'operation') {
    if (allowed) entry.operationAllowed++;
    else entry.operationRejected++;
  } else if (allowed) entry.userAllowed++;
  else entry.userRejected++;
}
