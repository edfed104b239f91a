import type { CallState, DependencyThrottle, RecoveryListener, RetrySkipReason } from '../pipeline.js';
import type { Clock } from '../internal/time.js';
import type { DependenciesConfig } from '../dependencies/config.js';
import { SharedCircuitBreaker } from '../shared-breaker/breaker.js';
import type { SharedStateStore } from '../shared-breaker/store.js';
import type { BreakerState } from './breaker.js';
import type { OperationRecovery } from './operation.js';
import type { OperationStats } from './stats.js';
import type { BreakerStatus, RecoveryHealth, SharedBreakerStatus } from './snapshot.js';

export type { BreakerStatus, RecoveryHealth } from './snapshot.js';

/** Options of {@link ErrorRecoveryManager}. */
export interface ErrorRecoveryOptions {
  /** When false, operations run once with no retry, breaker, bulkhead or timeout (stats are still kept). */
  enabled?: boolean;
  /** Clock of timeouts and call durations (its monotonic time); default the system clock. */
  clock?: Clock;
  /** Told about retries; the production system's telemetry listens here. */
  listener?: RecoveryListener;
  /** The client-side throttle of a named dependency (an operation's `dependency`), if it has one. */
  throttleFor?: (dependency: string) => DependencyThrottle | undefined;
  /** The named dependencies (the config's `dependencies` section), whose retry budgets operations share. */
  dependencies?: DependenciesConfig;
  /** Time kept back from a call's deadline (`deadlines.marginMs`); default 0. */
  deadlineMarginMs?: number;
  /**
   * The process's shared-state store, for breakers with `circuitBreaker.shared: true`; without it such a
   * breaker is INVALID_CONFIG. `createProductionSystem` passes the rate limits' Redis (Cluster) store.
   */
  sharedStateStore?: SharedStateStore | undefined;
}

/** One retry, as the manager fans it out to its listeners. */
export interface RetryEvent {
  readonly call: CallState;
  readonly failedAttempt: number;
  readonly delayMs: number;
  readonly error: unknown;
}

/** One skipped retry, as the manager fans it out to its listeners. */
export interface RetrySkippedEvent {
  readonly call: CallState;
  readonly failedAttempt: number;
  readonly reason: RetrySkipReason;
  readonly error: unknown;
  readonly budget: string | undefined;
}

/** Every operation's breaker state and time in state, for the state gauge and the status page. */
export function breakerStatuses(operations: ReadonlyMap<string, OperationRecovery>): BreakerStatus[] {
  const out: BreakerStatus[] = [];
  for (const [operation, policy] of operations) {
    const breaker = policy.breaker;
    if (breaker === undefined) continue;
    const shared = breaker instanceof SharedCircuitBreaker ? { shared: breaker.status() } : {};
    out.push({ operation, state: breaker.state, since: breaker.since, ...shared });
  }
  return out;
}

/** The status of every operation's breaker that shares its state across replicas. */
export function sharedBreakerStatuses(operations: ReadonlyMap<string, OperationRecovery>): SharedBreakerStatus[] {
  const out: SharedBreakerStatus[] = [];
  for (const policy of operations.values()) if (policy.breaker instanceof SharedCircuitBreaker) out.push(policy.breaker.status());
  return out;
}

/** Plain JSON health of the recovery layer (the seed's `health_check`). */
export function recoveryHealth(
  enabled: boolean,
  operations: ReadonlyMap<string, OperationRecovery>,
  stats: ReadonlyMap<string, OperationStats>,
): RecoveryHealth {
  const states = breakerStatuses(operations);
  const named = (state: BreakerState): string[] => states.filter((s) => s.state === state).map((s) => s.operation);
  const open = named('open');
  const breakerStates = { closed: 0, open: 0, half_open: 0 } satisfies Record<BreakerState, number>;
  for (const s of states) breakerStates[s.state]++;
  return {
    enabled,
    operations: operations.size,
    status: open.length > 0 ? 'warning' : 'healthy',
    openCircuitBreakers: open,
    halfOpenCircuitBreakers: named('half_open'),
    breakerStates,
    stats: Object.fromEntries([...stats].map(([name, s]) => [name, s.toJSON()])),
    sharedCircuitBreakers: sharedBreakerStatuses(operations),
  };
}
