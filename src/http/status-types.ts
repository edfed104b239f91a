/** One health component on the status page. */
export interface ComponentRow {
  name: string;
  status: string;
  essential: boolean;
  stale: boolean;
  /** ISO time of the last check, null before the first. */
  lastCheck: string | null;
  avgResponseTimeMs: number;
  consecutiveFailures: number;
  lastError: string | null;
}

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
  breaker: { state: string; since: string; timeInStateMs: number } | null;
}

/** One resource against its limit. */
export interface ResourceRow {
  resource: string;
  unit: string;
  current: number;
  peak: number;
  /** null when unlimited. */
  limit: number | null;
}

/** An active or recently resolved alert. */
export interface AlertRow {
  name: string;
  state: string;
  severity: string;
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
  level: string;
  component: string;
  operation: string;
  message: string;
  correlationId: string | null;
  traceId: string | null;
  /** The entry's metadata as JSON text, clipped. */
  details: string;
}

/** One recent protected-operation span. */
export interface TraceRow {
  traceId: string;
  spanId: string;
  operation: string;
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
  health: { status: string; ready: boolean; shuttingDown: boolean; notReadyReason: string | null; components: ComponentRow[] };
  operations: OperationRow[];
  rateLimiting: {
    enabled: boolean;
    store: string;
    scopes: Array<{ scope: 'global' | 'operation' | 'user'; allowed: number; rejected: number }>;
    trackedUsers: number;
    /** Busiest users by refusals, heaviest first (space-saving estimates; `error` bounds the overcount). */
    topRejectedUsers: Array<{ userId: string; rejections: number; error: number }>;
  };
  resources: { rows: ResourceRow[]; waitingForPermit: number; permitsRefused: number };
  alerts: { active: AlertRow[]; resolved: AlertRow[] };
  logs: { filter: { level: string | null; correlationId: string | null; limit: number }; entries: LogRow[] };
  traces: { attached: boolean; urlTemplate: string | null; recent: TraceRow[] };
  shutdown: { inProgress: boolean; progress: Record<string, string | number | boolean | null> };
  series: Array<{ timestamp: number; requestsPerSecond: number; errorRate: number; p99Ms: number | null }>;
  monitoring: { status: string; problems: string[] };
}
