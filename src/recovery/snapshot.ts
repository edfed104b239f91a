/**
 * The recovery component's read model: what `healthCheck()`, `breakerStates()`, `retryBudgets()`,
 * `getSystemStatus().errorRecovery` / `.retryBudgets`, `/status.json` and the status page show of it. Plain JSON
 * and no code: this module imports only the health vocabulary (`../health/status.js`, which imports nothing).
 */
import type { CheckStatus } from '../health/status.js';

/** Circuit breaker states as reported in metrics, status and span events. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** One operation's statistics as plain JSON (`getOperationStats`, the recovery health's `stats`). */
export interface OperationStatsSnapshot {
  /** Calls finished or refused. */
  readonly calls: number;
  readonly successes: number;
  readonly failures: number;
  /** Retries made (each retry once, not each attempt). */
  readonly retries: number;
  /** Calls refused before they ran (rate limit, resources, permit, shutdown). */
  readonly rejections: number;
  /** Attempts cut off by their timeout. */
  readonly timeouts: number;
  /** Mean duration of the calls that ran. */
  readonly meanLatencyMs: number;
  /** Median of the recent durations. */
  readonly p50LatencyMs: number;
  /** 99th percentile of the recent durations. */
  readonly p99LatencyMs: number;
}

/** One operation's breaker: its state and since when (epoch ms). */
export interface BreakerStatus {
  readonly operation: string;
  readonly state: BreakerState;
  /** Wall-clock time it entered the state, ms since the epoch. */
  readonly since: number;
  /** For a breaker shared across replicas: its shared state, replicas and lease holder. */
  readonly shared?: SharedBreakerStatus;
}

/** One shared breaker as the status page and `getSystemStatus()` show it. */
export interface SharedBreakerStatus {
  readonly operation: string;
  /** The shared state's name: `op:<operation>` or `dep:<dependency>`. */
  readonly key: string;
  /** `shared` while this replica follows the shared state; `local` while the store is away and its own breaker decides. */
  readonly mode: 'shared' | 'local';
  /** The shared state as last read (null before the first reply). */
  readonly sharedState: BreakerState | null;
  /** The local breaker's state (what decides in `local` mode). */
  readonly localState: BreakerState;
  /** Replicas that published recently, as last read. */
  readonly replicas: number;
  /** Calls and failures the open decision counted over every replica, as last read (consecutive mode: failures in a row). */
  readonly calls: number;
  readonly failures: number;
  /** Who holds the half-open trial lease (`<replica>/<operation>`), null for nobody. */
  readonly leaseHolder: string | null;
  /** True while this replica holds it. */
  readonly holdsLease: boolean;
  readonly publishes: number;
  readonly publishFailures: number;
  /** Wall-clock time (ms) of the last successful round, null before one. */
  readonly lastPublishAt: number | null;
  readonly lastError: string | null;
}

/** The recovery layer's health as plain JSON (the seed's `health_check`). */
export interface RecoveryHealth {
  /** False when `errorRecoveryEnabled` is off (operations run once, unprotected). */
  readonly enabled: boolean;
  /** Operations with policies built. */
  readonly operations: number;
  /** `warning` while any breaker is open (the health vocabulary of every component, `CheckStatus`). */
  readonly status: CheckStatus;
  readonly openCircuitBreakers: string[];
  readonly halfOpenCircuitBreakers: string[];
  /** Breakers per state. */
  readonly breakerStates: Record<BreakerState, number>;
  /** Statistics by operation name. */
  readonly stats: Record<string, OperationStatsSnapshot>;
  /** Breakers whose state is shared across replicas (`circuitBreaker.shared`): shared and local state, replicas, lease holder. */
  readonly sharedCircuitBreakers: SharedBreakerStatus[];
}

/** A budget's state as plain JSON (the status's `retryBudgets`). */
export interface RetryBudgetStatus {
  /** The dependency the budget belongs to, or the operation that owns it. */
  readonly dependency: string;
  /** Retries that may start now. */
  readonly balance: number;
  /** Calls counted in the current window. */
  readonly calls: number;
  /** Retries counted in the current window. */
  readonly retries: number;
  /** Retries refused because the budget was empty, since start. */
  readonly exhausted: number;
  readonly ratio: number;
  readonly ttlMs: number;
  readonly minRetriesPerSecond: number;
}

/** Who owns a budget: a named dependency (shared by its operations) or one operation. */
export type RetryBudgetOwner = 'dependency' | 'operation';

/** A budget's state with its owner (the status page's `retryBudgets`). */
export interface OwnedRetryBudgetStatus extends RetryBudgetStatus {
  readonly owner: RetryBudgetOwner;
}
