import type { LogLevel } from '../pipeline.js';
import { LOG_LEVELS } from '../monitoring/config.js';
import type { LogEntry, LogFilter } from '../monitoring/log-sink.js';
import type { Alert, ResolvedAlert } from '../monitoring/alerts/types.js';
import { recentTraces, type TraceSummary } from '../monitoring/recent-traces.js';
import type { RequestSeriesPoint } from '../monitoring/request-series.js';
import type { AlertRow, ComponentRow, LogRow, OperationRow, ResourceRow, StatusDocument, TraceRow } from './status-types.js';
import { arr, bool, clip, int, num, numOrNull, obj, primitives, str, strOrNull } from './status-values.js';

export type * from './status-types.js';

/**
 * The components the status document reads, typed structurally so any object with these methods will do
 * (`system.components` does). Values typed `unknown` are read defensively: a missing field shows as empty.
 */
export interface StatusSources {
  readonly recovery: {
    healthCheck(): Record<string, unknown>;
    breakerStates(): ReadonlyArray<{ readonly operation: string; readonly state: string; readonly since: number }>;
  };
  readonly limits: { getRateLimitStats(): unknown; getResourceUsage(): unknown };
  readonly health: { getHealthStatus(): unknown };
  readonly monitor: {
    healthCheck?(): unknown;
    getActiveAlerts?(): readonly Alert[];
    getResolvedAlerts?(limit?: number): readonly ResolvedAlert[];
    getRecentLogs?(filter?: LogFilter): readonly LogEntry[];
    getRequestSeries?(): readonly RequestSeriesPoint[];
  };
  readonly shutdown: { getShutdownProgress(): unknown };
  /** Protected operations in flight (`system.activeOperationCount()`). */
  readonly activeOperations?: () => number;
  /** Trace link template with `{traceId}` (`admin.traceUrlTemplate`); only http(s) templates make links. */
  readonly traceUrlTemplate?: string | undefined;
  /** Recent operation spans, newest first; default: the process-wide ring of `@llmkg/production/sdk`. */
  readonly traces?: (limit: number) => readonly TraceSummary[];
  /** Wall clock in ms; default `Date.now`. */
  readonly now?: () => number;
}

/** Bounds of the document, so a refresh stays small whatever the process holds. */
export const STATUS_LIMITS = {
  operations: 500,
  logsDefault: 100,
  logsMax: 500,
  tracesDefault: 50,
  tracesMax: 200,
  alerts: 200,
  resolvedAlerts: 50,
  seriesPoints: 720,
  topUsers: 10,
  text: 2000,
} as const;

const LEVELS = new Set<string>(LOG_LEVELS);

function limitParam(query: URLSearchParams | undefined, name: string, fallback: number, max: number): number {
  const raw = query?.get(name);
  const n = raw === null || raw === undefined || raw === '' ? fallback : Number(raw);
  return Number.isInteger(n) && n >= 0 ? Math.min(n, max) : fallback;
}

/**
 * Everything the `/status` page shows, as one plain JSON document: health, operations with breakers,
 * rate limits with the busiest users, resources, alerts, logs (filtered by `level` and `correlationId`
 * query parameters, `logs` entries at most), recent traces (`traces` at most), shutdown progress and the
 * request series. Every list is bounded and every string is data, never markup.
 */
export function buildStatusDocument(sources: StatusSources, query?: URLSearchParams): StatusDocument {
  const now = (sources.now ?? Date.now)();
  const level = query?.get('level') ?? '';
  const correlationId = query?.get('correlationId') ?? '';
  const logLimit = limitParam(query, 'logs', STATUS_LIMITS.logsDefault, STATUS_LIMITS.logsMax);
  const traceLimit = limitParam(query, 'traces', STATUS_LIMITS.tracesDefault, STATUS_LIMITS.tracesMax);
  const filter: LogFilter = {
    limit: logLimit,
    ...(LEVELS.has(level) ? { level: level as LogLevel } : {}),
    ...(correlationId !== '' ? { correlationId } : {}),
  };
  const monitorHealth = obj(sources.monitor.healthCheck?.());
  const limits = obj(sources.limits.getRateLimitStats());
  const progress = primitives(sources.shutdown.getShutdownProgress());
  const template = sources.traceUrlTemplate;
  const linkable = typeof template === 'string' && /^https?:\/\//i.test(template) && template.includes('{traceId}');
  const traces = sources.traces ?? ((n: number) => recentTraces.list(n));
  return {
    generatedAt: new Date(now).toISOString(),
    process: {
      pid: process.pid,
      uptimeSeconds: Math.round(process.uptime()),
      nodeVersion: process.version,
      activeOperations: sources.activeOperations?.() ?? null,
    },
    health: healthView(sources.health.getHealthStatus()),
    operations: operationRows(sources.recovery, now),
    rateLimiting: {
      enabled: bool(limits.enabled),
      store: str(limits.store),
      scopes: (['global', 'operation', 'user'] as const).map((scope) => ({ scope, allowed: int(obj(limits[scope]).allowed), rejected: int(obj(limits[scope]).rejected) })),
      trackedUsers: int(obj(limits.users).tracked),
      topRejectedUsers: arr(limits.topRejectedUsers)
        .slice(0, STATUS_LIMITS.topUsers)
        .map((u) => ({ userId: clip(str(obj(u).userId), 256), rejections: int(obj(u).rejections), error: int(obj(u).error) })),
    },
    resources: resourceView(obj(sources.limits.getResourceUsage())),
    alerts: {
      active: (sources.monitor.getActiveAlerts?.() ?? []).slice(0, STATUS_LIMITS.alerts).map((a) => alertRow(a, undefined)),
      resolved: (sources.monitor.getResolvedAlerts?.(STATUS_LIMITS.resolvedAlerts) ?? []).slice(0, STATUS_LIMITS.resolvedAlerts).map((a) => alertRow(a, a.resolvedAt)),
    },
    logs: {
      filter: { level: filter.level ?? null, correlationId: filter.correlationId ?? null, limit: logLimit },
      entries: (sources.monitor.getRecentLogs?.(filter) ?? []).slice(0, logLimit).map(logRow),
    },
    traces: {
      attached: sources.traces !== undefined || recentTraces.source() !== undefined,
      urlTemplate: linkable ? template : null,
      recent: traces(traceLimit)
        .slice(0, traceLimit)
        .map((t) => traceRow(t, linkable ? template : undefined)),
    },
    shutdown: { inProgress: progress.shutting_down === true || typeof progress.started_at === 'string', progress },
    series: (sources.monitor.getRequestSeries?.() ?? []).slice(-STATUS_LIMITS.seriesPoints).map((p) => ({
      timestamp: num(p.timestamp),
      requestsPerSecond: num(p.requestsPerSecond),
      errorRate: num(p.errorRate),
      p99Ms: numOrNull(p.p99Ms),
    })),
    monitoring: {
      status: str(monitorHealth.status, 'unknown'),
      problems: arr(monitorHealth.problems).slice(0, 50).map((p) => clip(str(p), STATUS_LIMITS.text)),
    },
  };
}

function healthView(raw: unknown): StatusDocument['health'] {
  const h = obj(raw);
  const components: ComponentRow[] = Object.entries(obj(h.components)).map(([name, value]) => {
    const c = obj(value);
    return {
      name: clip(name, 256),
      status: str(c.status, 'unknown'),
      essential: bool(c.essential),
      stale: bool(c.stale),
      lastCheck: strOrNull(c.last_check),
      avgResponseTimeMs: num(c.avg_response_time_ms),
      consecutiveFailures: int(c.consecutive_failures),
      lastError: c.last_error === null || c.last_error === undefined ? null : clip(str(c.last_error), STATUS_LIMITS.text),
    };
  });
  return {
    status: str(h.status, 'unknown'),
    ready: bool(h.ready),
    shuttingDown: bool(h.shutting_down),
    notReadyReason: strOrNull(h.not_ready_reason),
    components: components.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}

function operationRows(recovery: StatusSources['recovery'], now: number): OperationRow[] {
  const stats = obj(recovery.healthCheck().stats);
  const breakers = new Map(recovery.breakerStates().map((b) => [b.operation, b] as const));
  const names = new Set<string>([...Object.keys(stats), ...breakers.keys()]);
  const rows: OperationRow[] = [];
  for (const name of names) {
    const s = obj(stats[name]);
    const b = breakers.get(name);
    const successes = int(s.successes);
    const failures = int(s.failures);
    rows.push({
      name: clip(name, 256),
      calls: int(s.calls),
      successes,
      failures,
      rejections: int(s.rejections),
      retries: int(s.retries),
      timeouts: int(s.timeouts),
      errorRate: successes + failures === 0 ? 0 : failures / (successes + failures),
      meanMs: num(s.mean_latency_ms),
      p50Ms: num(s.p50_latency_ms),
      p99Ms: num(s.p99_latency_ms),
      breaker: b === undefined ? null : { state: b.state, since: new Date(b.since).toISOString(), timeInStateMs: Math.max(0, now - b.since) },
    });
  }
  // Busiest first, so the cap drops the quiet ones.
  return rows.sort((a, b) => b.calls - a.calls || (a.name < b.name ? -1 : 1)).slice(0, STATUS_LIMITS.operations);
}

function resourceView(u: Record<string, unknown>): StatusDocument['resources'] {
  const l = obj(u.limits);
  const rows: ResourceRow[] = [
    { resource: 'memory', unit: 'bytes', current: num(u.memoryBytes), peak: num(u.peakMemoryBytes), limit: numOrNull(l.maxMemoryBytes) },
    { resource: 'cpu', unit: '%', current: num(u.cpuPercent), peak: num(u.peakCpuPercent), limit: numOrNull(l.maxCpuPercent) },
    { resource: 'event_loop_delay', unit: 'ms', current: num(u.eventLoopDelayMs), peak: num(u.peakEventLoopDelayMs), limit: numOrNull(l.maxEventLoopDelayMs) },
    { resource: 'operations', unit: '', current: num(u.activeOperations), peak: num(u.peakOperations), limit: numOrNull(l.maxActiveOperations) },
    { resource: 'db_connections', unit: '', current: num(u.databaseConnections), peak: num(u.peakDatabaseConnections), limit: numOrNull(l.maxDbConnections) },
  ];
  return { rows, waitingForPermit: int(u.waitingForPermit), permitsRefused: int(u.permitsRefused) };
}

function alertRow(a: Alert, resolvedAt: number | undefined): AlertRow {
  const strings = (record: Readonly<Record<string, string>>): Record<string, string> =>
    Object.fromEntries(Object.entries(record).slice(0, 50).map(([k, v]) => [clip(k, 256), clip(str(v), STATUS_LIMITS.text)]));
  return {
    name: clip(str(a.name), 256),
    state: resolvedAt === undefined ? str(a.state) : 'resolved',
    severity: str(a.severity),
    value: num(a.value),
    since: new Date(num(a.activeAt)).toISOString(),
    firedAt: a.firedAt === undefined ? null : new Date(a.firedAt).toISOString(),
    resolvedAt: resolvedAt === undefined ? null : new Date(resolvedAt).toISOString(),
    labels: strings(a.labels),
    annotations: strings(a.annotations),
  };
}

function logRow(e: LogEntry): LogRow {
  let details = '';
  try {
    details = Object.keys(e.metadata).length === 0 ? '' : JSON.stringify(e.metadata);
  } catch {
    details = '[unserialisable metadata]';
  }
  return {
    timestamp: new Date(e.timestamp).toISOString(),
    level: e.level,
    component: clip(str(e.component), 256),
    operation: clip(str(e.operation), 256),
    message: clip(str(e.message), STATUS_LIMITS.text),
    correlationId: e.correlationId === undefined ? null : clip(e.correlationId, 256),
    traceId: e.traceId ?? null,
    details: clip(details, 500),
  };
}

function traceRow(t: TraceSummary, template: string | undefined): TraceRow {
  return {
    traceId: t.traceId,
    spanId: t.spanId,
    operation: clip(t.operation, 256),
    outcome: t.outcome,
    durationMs: Math.round(t.durationMs * 1000) / 1000,
    endedAt: new Date(t.endedAt).toISOString(),
    correlationId: t.correlationId === undefined ? null : clip(t.correlationId, 256),
    errorType: t.errorType ?? null,
    url: template === undefined ? null : template.split('{traceId}').join(encodeURIComponent(t.traceId)),
  };
}
