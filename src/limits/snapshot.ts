/**
 * The limits component's read model: what `getRateLimitStats()`, `getResourceUsage()`, `healthCheck()`,
 * `getSystemStatus().rateLimiting` / `.resources`, `/status.json` and the status page show of it. Plain JSON and
 * no code: this module imports only the health vocabulary (`../health/status.js`, which imports nothing).
 */
import type { CheckStatus } from '../health/status.js';

/** What a decision does while the shared store cannot decide (`failureMode`; see docs/limits-and-stores.md). */
export type FailureMode = 'fail_open' | 'fail_closed' | 'local_fallback';

/**
 * Where decisions are made: `memory` (this process alone), `redis` (a Redis server or Cluster shared by the
 * replicas), `custom` (a store of your own), `fallback` (the shared store is away; the failure mode decides).
 */
export type StoreState = 'memory' | 'redis' | 'custom' | 'fallback';

/** Names of the resources the resource limits guard. */
export type ResourceName = 'memory' | 'cpu' | 'operations' | 'db_connections' | 'event_loop_delay';

/** Allowed and rejected decisions of one scope. */
export interface DecisionCounts {
  allowed: number;
  rejected: number;
}

/** One operation's decisions per scope, and whether it has a limit of its own. */
export interface OperationDecisions {
  global: DecisionCounts;
  operation: DecisionCounts;
  user: DecisionCounts;
  /** True when the operation has its own limit. */
  limited: boolean;
}

/** Checks decided without the shared store, by failure mode (keys are the `failureMode` values). */
export type StoreFailures = Record<FailureMode, number>;

/** Plain JSON state of a store, for stats and health. */
export interface RateLimitStoreStatus {
  /** The store's `type`. */
  readonly type: string;
  /** Where decisions are made now. */
  readonly state: StoreState;
  /** False while the store cannot decide. */
  readonly healthy: boolean;
  /** Store-specific details (connection, failures, last error). */
  readonly [detail: string]: unknown;
}

/** `getRateLimitStats()`: plain JSON. */
export interface RateLimitStats {
  enabled: boolean;
  /** Where decisions are made now. */
  store: StoreState;
  /** Totals per scope. */
  global: DecisionCounts;
  operation: DecisionCounts;
  user: DecisionCounts;
  /** Per operation name (past the cap, `_other`). */
  operations: Record<string, OperationDecisions>;
  /** Per-user state: tracked keys, capacity evictions, idle expiries, users with their own limit. */
  users: { tracked: number; evicted: number; expired: number; overrides: number };
  /** Checks decided without the store, by failure mode. */
  storeFailures: StoreFailures;
  /** The busiest users by refusals (any scope), heaviest first, at most 10; counts are space-saving estimates. */
  topRejectedUsers: Array<{ userId: string; rejections: number; error: number }>;
  /** The shared store's details (Redis, Redis Cluster, or your own store), null in memory. */
  redis: RateLimitStoreStatus | null;
}

/** Current and peak resource use as plain JSON. */
export interface ResourceUsageSnapshot {
  readonly memoryBytes: number;
  readonly peakMemoryBytes: number;
  /** Share of all available cores, 0 to 100. */
  readonly cpuPercent: number;
  readonly peakCpuPercent: number;
  /** Event-loop delay p99 over the last sample interval. */
  readonly eventLoopDelayMs: number;
  readonly peakEventLoopDelayMs: number;
  /** Operation permits held. */
  readonly activeOperations: number;
  readonly peakOperations: number;
  readonly databaseConnections: number;
  readonly peakDatabaseConnections: number;
  /** Samples taken. */
  readonly samples: number;
}

/** `getResourceUsage()`: current and peak use, the waits and refusals of the pools, and the limits. */
export interface ResourceUsageReport extends ResourceUsageSnapshot {
  readonly waitingForPermit: number;
  readonly waitingForDbConnection: number;
  readonly permitsRefused: number;
  readonly dbConnectionsRefused: number;
  /** The configured limits; null when unlimited. */
  readonly limits: {
    readonly maxMemoryBytes: number | null;
    readonly memoryMeasure: 'rss' | 'heap';
    readonly maxCpuPercent: number | null;
    readonly maxActiveOperations: number;
    readonly maxDbConnections: number;
    readonly maxEventLoopDelayMs: number | null;
  };
}

/** `healthCheck()` of the limits: a resource over its limit, or the shared store away. */
export interface LimitsHealth {
  /** False when a resource limit is exceeded or decisions fell back from the shared store. */
  readonly healthy: boolean;
  readonly status: CheckStatus;
  /** The resource over its limit, if any. */
  readonly exceededResource: ResourceName | null;
  readonly store: RateLimitStoreStatus;
  readonly rateLimiting: { readonly enabled: boolean; readonly active: boolean; readonly trackedUsers: number };
  readonly resources: ResourceUsageReport;
}
