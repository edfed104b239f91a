/**
 * The contract of `GET /status.json`: what the status page's script reads. This module imports only the
 * components' read models (`src/<component>/snapshot.ts` and the vocabularies they use, none of which imports
 * anything), type-only, so browser code can import it; `status-data.ts` checks at compile time that the components'
 * own types still fit these (every key camelCase; snake_case only in values that are names of the conventions,
 * such as phases, breaker states and resource names). Where a component's snapshot is already plain JSON the
 * document holds it as it is (health components, shutdown progress, retry budgets, overload), names clipped; the
 * rows below exist only where the page needs a different shape, each saying why.
 */
import type { ComponentStatusSnapshot } from '../health/snapshot.js';
import type { HealthStatus } from '../health/status.js';
import type { RateLimitStats, ResourceName, StoreState } from '../limits/snapshot.js';
import type { LogLevel } from '../monitoring/snapshot.js';
import type { OverloadStatus } from '../overload/snapshot.js';
import type { BreakerState, OperationStatsSnapshot, OwnedRetryBudgetStatus, SharedBreakerStatus } from '../recovery/snapshot.js';
import type { ShutdownProgressSnapshot } from '../shutdown/snapshot.js';

/** One health component on the status page: its snapshot, with its name. */
export type StatusComponent = ComponentStatusSnapshot & { name: string };

// A row because it joins two snapshots (stats and breaker) and turns the breaker's epoch `since` into ISO time.
/** One protected operation: its stats snapshot, with its name and breaker. */
export interface OperationRow extends OperationStatsSnapshot {
  name: string;
  /** failures / (successes + failures), 0..1. */
  errorRate: number;
  /** null when the operation has no breaker (yet). */
  breaker: {
    state: BreakerState;
    since: string;
    timeInStateMs: number;
    /** A breaker shared across replicas (`circuitBreaker.shared`), as this replica sees it; null for a local one. */
    shared: Pick<SharedBreakerStatus, 'mode' | 'sharedState' | 'replicas' | 'leaseHolder' | 'holdsLease'> | null;
  } | null;
}

// A row because the page draws one line per resource, pivoted from the usage report's flat fields, with a unit.
/** One resource against its limit. */
export interface ResourceRow {
  resource: ResourceName;
  unit: 'bytes' | '%' | 'ms' | '';
  current: number;
  peak: number;
  /** null when unlimited. */
  limit: number | null;
}

// A row because the monitor keeps epoch times and unbounded labels: this one has ISO times and clipped text.
/** An active or recently resolved alert. */
export interface AlertRow {
  name: string;
  state: 'pending' | 'firing' | 'resolved';
  severity: 'critical' | 'warning' | 'info';
  value: number;
  /** When the condition started holding. */
  since: string;
  firedAt: string | null;
  resolvedAt: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

// A row because the ring keeps the caller's metadata object: this one has ISO time, clipped text and display pairs.
/** One recent log entry. */
export interface LogRow {
  timestamp: string;
  level: LogLevel;
  component: string;
  operation: string;
  message: string;
  correlationId: string | null;
  traceId: string | null;
  /** The entry's metadata as JSON text, clipped. */
  details: string;
  /** The same metadata as key/value pairs (values as text, each clipped; at most 20 pairs), for display. */
  fields: Array<{ key: string; value: string }>;
}

/**
 * The two headline figures of the last minute, one definition each: of the protected calls that finished,
 * the share that failed (`errors`: the operation ran and threw or timed out, after its retries) and the share
 * that was refused (`refusals`: rate limit, open breaker, full bulkhead, resources, overload, shutdown or an
 * expired deadline, so the operation did not run). Zero calls give rates of 0.
 */
export interface StatusHeadline {
  /** The window the figures cover, in seconds (what the series holds of the last minute). */
  windowSeconds: number;
  calls: number;
  errors: number;
  refusals: number;
  /** errors / calls, 0..1. */
  errorRate: number;
  /** refusals / calls, 0..1. */
  refusalRate: number;
}

// A row because the span ring keeps epoch times and no link: this one has ISO time, clipped names and the trace URL.
/** One recent protected-operation span. */
export interface TraceRow {
  traceId: string;
  spanId: string;
  operation: string;
  /** `success`, `error`, `rejected`, or `unknown`. */
  outcome: string;
  durationMs: number;
  endedAt: string;
  correlationId: string | null;
  errorType: string | null;
  /** The trace in Jaeger/Tempo from `admin.traceUrlTemplate`, when set. */
  url: string | null;
}

/** `GET /status.json`: everything the status page shows. */
export interface StatusDocument {
  generatedAt: string;
  process: { pid: number; uptimeSeconds: number; nodeVersion: string; activeOperations: number | null };
  health: { status: HealthStatus; ready: boolean; shuttingDown: boolean; notReadyReason: string | null; components: StatusComponent[] };
  operations: OperationRow[];
  /** Retry budgets per dependency (and per operation with its own), most refusals first. */
  retryBudgets: OwnedRetryBudgetStatus[];
  rateLimiting: {
    enabled: boolean;
    /** Where decisions are made: `memory`, `redis`, `custom` or `fallback`. */
    store: StoreState;
    scopes: Array<{ scope: 'global' | 'operation' | 'user'; allowed: number; rejected: number }>;
    trackedUsers: number;
    /** Busiest users by refusals, heaviest first (space-saving estimates; `error` bounds the overcount). */
    topRejectedUsers: RateLimitStats['topRejectedUsers'];
  };
  resources: { rows: ResourceRow[]; waitingForPermit: number; permitsRefused: number };
  alerts: { active: AlertRow[]; resolved: AlertRow[] };
  logs: { filter: { level: string | null; correlationId: string | null; limit: number }; entries: LogRow[] };
  traces: { attached: boolean; urlTemplate: string | null; recent: TraceRow[] };
  shutdown: { inProgress: boolean; progress: ShutdownProgressSnapshot };
  /** Last minute: errors and refusals as two figures (see {@link StatusHeadline}). */
  headline: StatusHeadline;
  /** One point per collection, oldest first: `errorRate` and `refusalRate` as the headline defines them. */
  series: Array<{ timestamp: number; requestsPerSecond: number; errorRate: number; refusalRate: number; p99Ms: number | null }>;
  /** Overload control; null when the system has none. */
  overload: OverloadStatus | null;
  /** The configuration file in force (path, SHA-256, when applied, reloads); null without one. */
  configFile: {
    path: string;
    hash: string;
    appliedAt: string;
    reloads: { applied: number; rejected: number };
    lastRejection: { at: string; message: string } | null;
  } | null;
  /** `unknown` when the monitor reports nothing. */
  monitoring: { status: HealthStatus; problems: string[] };
}
