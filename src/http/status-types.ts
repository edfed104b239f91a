/**
 * The contract of `GET /status.json`: what the status page's script reads. This module imports only the
 * components' read models (`src/<component>/snapshot.ts` and the vocabularies they use, none of which imports
 * anything), type-only, so browser code can import it; `status-data.ts` checks at compile time that the components'
 * own types still fit these (every key camelCase; snake_case only in values that are names of the conventions,
 * such as phases, breaker states and resource names). Where a component's snapshot is already plain JSON the
 * document holds it as it is (health components, shutdown progress); the rows below are views with times as ISO
 * strings and text clipped.
 */
import type { ComponentStatusSnapshot } from '../health/snapshot.js';
import type { HealthStatus } from '../health/status.js';
import type { ShutdownProgressSnapshot } from '../shutdown/snapshot.js';

/** One health component on the status page: its snapshot, with its name. */
export type StatusComponent = ComponentStatusSnapshot & { name: string };

/** One protected operation: counts, latency and its circuit breaker. */
export interface OperationRow {
  name: string;
  calls: number;
  successes: number;
  failures: number;
  rejections: number;
  retries: number;
  timeouts: number;
  /** failures / (successes + failures), 0..1. */
  errorRate: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  /** null when the operation has no breaker (yet). */
  breaker: {
    state: 'closed' | 'open' | 'half_open';
    since: string;
    timeInStateMs: number;
    /** A breaker shared across replicas (`circuitBreaker.shared`); null for a local one. */
    shared: SharedBreakerRow | null;
  } | null;
}

/** A shared breaker's view from this replica. */
export interface SharedBreakerRow {
  /** `shared`: follows the shared state; `local`: the store is away, the replica's own breaker decides. */
  mode: 'shared' | 'local';
  sharedState: 'closed' | 'open' | 'half_open' | null;
  /** Replicas that published recently. */
  replicas: number;
  /** Holder of the half-open trial lease, null for nobody. */
  leaseHolder: string | null;
  holdsLease: boolean;
}

/** One retry budget: a dependency's (shared by its operations) or an operation's own. */
export interface RetryBudgetRow {
  /** The dependency's name, or the operation's for an operation-owned budget. */
  dependency: string;
  owner: 'dependency' | 'operation';
  /** Retries that may start now. */
  balance: number;
  /** Calls and retries counted in the current window. */
  calls: number;
  retries: number;
  /** Retries refused because the budget was empty, since start. */
  exhausted: number;
  ratio: number;
  ttlMs: number;
  minRetriesPerSecond: number;
}

/** One resource against its limit. */
export interface ResourceRow {
  resource: 'memory' | 'cpu' | 'event_loop_delay' | 'operations' | 'db_connections';
  unit: 'bytes' | '%' | 'ms' | '';
  current: number;
  peak: number;
  /** null when unlimited. */
  limit: number | null;
}

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

/** One recent log entry. */
export interface LogRow {
  timestamp: string;
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'critical';
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

/** Counts by criticality class (lowest first). */
export interface ClassCounts {
  sheddable: number;
  sheddablePlus: number;
  critical: number;
  criticalPlus: number;
}

/** One adaptive concurrency limit on the status page. */
export interface AdaptiveLimitRow {
  /** The operation, or `*` for the global limit. */
  operation: string;
  algorithm: string;
  limit: number;
  minLimit: number;
  maxLimit: number;
  inFlight: number;
  waiting: number;
  /** Mean RTT of the last window. */
  rttMs: number;
  shed: ClassCounts;
}

/** One dependency's client-side throttle on the status page. */
export interface ThrottleRow {
  dependency: string;
  /** Refusal probability now, 0 to 1. */
  probability: number;
  requests: number;
  accepts: number;
  throttled: number;
}

/** The overload section: adaptive limits, in-flight counts, shedding by class, Node's signals, throttles. */
export interface OverloadView {
  defaultCriticality: string;
  limits: AdaptiveLimitRow[];
  shedByClass: ClassCounts;
  signals: { eventLoopUtilization: number; eventLoopDelayP99Ms: number; heapUsedRatio: number; shedding: string } | null;
  /** The queue-delay control: judged delay against its target, refused share by class, refusals so far; null when off. */
  queueDelay: { targetMs: number; queueDelayMs: number; refusal: number; refusalByClass: ClassCounts; shed: ClassCounts } | null;
  throttles: ThrottleRow[];
}

/** `GET /status.json`: everything the status page shows. */
export interface StatusDocument {
  generatedAt: string;
  process: { pid: number; uptimeSeconds: number; nodeVersion: string; activeOperations: number | null };
  health: { status: HealthStatus; ready: boolean; shuttingDown: boolean; notReadyReason: string | null; components: StatusComponent[] };
  operations: OperationRow[];
  /** Retry budgets per dependency (and per operation with its own), most refusals first. */
  retryBudgets: RetryBudgetRow[];
  rateLimiting: {
    enabled: boolean;
    /** Where decisions are made: `memory`, `redis`, `custom` or `fallback`. */
    store: 'memory' | 'redis' | 'custom' | 'fallback';
    scopes: Array<{ scope: 'global' | 'operation' | 'user'; allowed: number; rejected: number }>;
    trackedUsers: number;
    /** Busiest users by refusals, heaviest first (space-saving estimates; `error` bounds the overcount). */
    topRejectedUsers: Array<{ userId: string; rejections: number; error: number }>;
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
  overload: OverloadView | null;
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
