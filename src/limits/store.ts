import type { RateLimitScope } from '../errors.js';
import type { RateLimiterConfig } from './config.js';
import type { RateLimitDecision } from './decision.js';

export type { RateLimitScope } from '../errors.js';
export type { RateLimitStoreStatus, StoreState } from './snapshot.js';
import type { RateLimitStoreStatus } from './snapshot.js';

/** The scopes in the order a check decides them: global, then operation, then user. */
export const RATE_LIMIT_SCOPES: readonly RateLimitScope[] = ['global', 'operation', 'user'];

/**
 * Where rate-limit state lives and decisions are made: in memory, on Redis, on a Redis Cluster, or a store of
 * your own. The manager tells the store the policies (`setPolicy`), then asks for one decision per scope
 * (`consume`) and takes back what earlier scopes consumed when a later one refuses (`refund`).
 *
 * A decision is one number, so an in-memory store allocates nothing: `0` admitted, `> 0` refused (retry after
 * that many ms; `Infinity`: never, the cost exceeds the limit), `< 0` admitted once the caller has waited
 * `-result` ms (a leaky bucket's turn), `NaN` no limit applies (admitted, not counted). A store that answers
 * with a promise may reject it; the manager applies the failure mode when the store is wrapped in a
 * `FallbackRateLimitStore` (`@llmkg/production/limits`) and otherwise passes the error to the caller.
 */
export interface RateLimitStore {
  /** Short name for stats and health: `memory`, `redis`, `redis_cluster`, or your own. */
  readonly type: string;
  /**
   * Sets (with null removes) a policy: `global` (key ignored), `operation` (key: the operation's name), `user`
   * (key undefined: every user's default; else that user's own policy, which replaces the default).
   */
  setPolicy(scope: RateLimitScope, key: string | undefined, policy: RateLimiterConfig | null): void;
  /**
   * Decides on `cost` units for `key` (`''` for global, the operation's name, the user's id); see above.
   * `now` is the manager's monotonic clock reading for this check (ms): a store deciding in this process may
   * use it instead of reading a clock once per scope; a shared store keeps its own time.
   */
  consume(scope: RateLimitScope, key: string, cost: number, now?: number): number | Promise<number>;
  /**
   * What `key`'s allowance in `scope` is now, without consuming anything (the `RateLimit` headers' remaining and
   * reset). Called right after a `consume` of the same key settled; undefined when unknown. Optional: without
   * it the call's rate-limit decision has no admitted scope to report.
   */
  quota?(scope: RateLimitScope, key: string): RateLimitDecision | undefined;
  /** Gives back `cost` units a `consume` of the same call (at `now`) admitted moments ago. Best effort. */
  refund(scope: RateLimitScope, key: string, cost: number, now?: number): void | Promise<void>;
  /** Resolves once the store can decide (connected); rejects after its connect timeout. */
  ready?(): Promise<void>;
  /** Plain JSON state. */
  status?(): RateLimitStoreStatus;
  /** Calls `listener` whenever the store (re)connects, so a fallback can probe it at once. */
  onAvailable?(listener: () => void): Disposable;
  /** Releases connections and timers. */
  close?(): void | Promise<void>;
}
