import type { HealthStatusSnapshot } from '../health/snapshot.js';
import type { RateLimitStats, ResourceUsageReport } from '../limits/snapshot.js';
import type { LogLevel } from '../pipeline.js';
import { LOG_LEVELS } from '../monitoring/config.js';
import type { LogEntry, LogFilter } from '../monitoring/log-sink.js';
import type { Alert, ResolvedAlert } from '../monitoring/alerts/types.js';
import type { MonitorHealth } from '../monitoring/snapshot.js';
import { recentTraces, type TraceSummary } from '../monitoring/recent-traces.js';
import type { RequestSeriesPoint } from '../monitoring/request-series.js';
import type { BreakerStatus, OwnedRetryBudgetStatus, RecoveryHealth } from '../recovery/snapshot.js';
import type { ShutdownProgressSnapshot } from '../shutdown/snapshot.js';
import type { OverloadStatus } from '../overload/snapshot.js';
import type { ConfigFileStatus } from '../config/reload.js';
import { alertRow, clip, headline, logRow, STATUS_LIMITS, traceRow } from './status-rows.js';
import type { OperationRow, ResourceRow, StatusComponent, StatusDocument } from './status-types.js';

/**
 * The components the status document reads, typed structurally so any object with these methods will do
 * (`system.components` does).
 */
export interface StatusSources {
  readonly recovery: {
    healthCheck(): Pick<RecoveryHealth, 'stats'>;
    breakerStates(): readonly BreakerStatus[];
    /** The retry budgets (`ErrorRecoveryManager.retryBudgets`); none shown without it. */
    retryBudgets?(): readonly OwnedRetryBudgetStatus[];
  };
  readonly limits: { getRateLimitStats(): RateLimitStats; getResourceUsage(): ResourceUsageReport };
  readonly health: { getHealthStatus(): HealthStatusSnapshot };
  readonly monitor: {
    healthCheck?(): Pick<MonitorHealth, 'status' | 'problems'>;
    getActiveAlerts?(): readonly Alert[];
    getResolvedAlerts?(limit?: number): readonly ResolvedAlert[];
    getRecentLogs?(filter?: LogFilter): readonly LogEntry[];
    getRequestSeries?(): readonly RequestSeriesPoint[];
  };
  readonly shutdown: { getShutdownProgress(): ShutdownProgressSnapshot };
  /** Overload control (adaptive limits, shedding, throttles), when the system has it. */
  readonly overload?: { getOverloadStatus(): OverloadStatus };
  /** The configuration file's status (`StandardProductionSystem.getConfigFileStatus`), when there is one. */
  readonly configFile?: () => ConfigFileStatus | null;
  /** Protected operations in flight (`system.activeOperationCount()`). */
  readonly activeOperations?: () => number;
  /** Trace link template with `{traceId}` (`admin.traceUrlTemplate`); only http(s) templates make links. */
  readonly traceUrlTemplate?: string | undefined;
  /** Recent operation spans, newest first; default: the process-wide ring of `@llmkg/production/sdk`. */
  readonly traces?: (limit: number) => readonly TraceSummary[];
  /** Wall clock in ms; default `Date.now`. */
  readonly now?: () => number;
}

// The document's bounds, here for the callers that read them beside the document.
export { STATUS_LIMITS } from './status-rows.js';

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
  const monitorHealth = sources.monitor.healthCheck?.();
  const limits = sources.limits.getRateLimitStats();
  const progress = progressView(sources.shutdown.getShutdownProgress());
  const template = sources.traceUrlTemplate;
  const linkable = typeof template === 'string' && /^https?:\/\//i.test(template) && template.includes('{traceId}');
  const traces = sources.traces ?? ((n: number) => recentTraces.list(n));
  const series = (sources.monitor.getRequestSeries?.() ?? []).slice(-STATUS_LIMITS.seriesPoints);
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
    retryBudgets: retryBudgetRows(sources.recovery.retryBudgets?.() ?? []),
    rateLimiting: {
      enabled: limits.enabled,
      store: limits.store,
      scopes: (['global', 'operation', 'user'] as const).map((scope) => ({
        scope,
        allowed: limits[scope].allowed,
        rejected: limits[scope].rejected,
      })),
      trackedUsers: limits.users.tracked,
      topRejectedUsers: limits.topRejectedUsers
        .slice(0, STATUS_LIMITS.topUsers)
        .map((u) => ({ userId: clip(u.userId, 256), rejections: u.rejections, error: u.error })),
    },
    resources: resourceView(sources.limits.getResourceUsage()),
    alerts: {
      active: (sources.monitor.getActiveAlerts?.() ?? []).slice(0, STATUS_LIMITS.alerts).map((a) => alertRow(a, undefined)),
      resolved: (sources.monitor.getResolvedAlerts?.(STATUS_LIMITS.resolvedAlerts) ?? [])
        .slice(0, STATUS_LIMITS.resolvedAlerts)
        .map((a) => alertRow(a, a.resolvedAt)),
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
    shutdown: { inProgress: progress.shuttingDown || progress.startedAt !== null, progress },
    overload: sources.overload === undefined ? null : overloadView(sources.overload.getOverloadStatus()),
    headline: headline(series, now),
    configFile: configFileView(sources.configFile?.() ?? null),
    series: series.map((p) => ({
      timestamp: p.timestamp,
      requestsPerSecond: p.requestsPerSecond,
      errorRate: p.errorRate,
      refusalRate: p.refusalRate ?? 0,
      p99Ms: p.p99Ms,
    })),
    monitoring: {
      status: monitorHealth?.status ?? 'unknown',
      problems: (monitorHealth?.problems ?? []).slice(0, 50).map((p) => clip(p, STATUS_LIMITS.text)),
    },
  };
}

function healthView(h: HealthStatusSnapshot): StatusDocument['health'] {
  const components: StatusComponent[] = Object.entries(h.components).map(([name, c]) => ({
    ...c,
    name: clip(name, 256),
    lastError: c.lastError === null ? null : clip(c.lastError, STATUS_LIMITS.text),
  }));
  return {
    status: h.status,
    ready: h.ready,
    shuttingDown: h.shuttingDown,
    notReadyReason: h.notReadyReason,
    components: components.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}

function operationRows(recovery: StatusSources['recovery'], now: number): OperationRow[] {
  const stats = recovery.healthCheck().stats;
  const breakers = new Map(recovery.breakerStates().map((b) => [b.operation, b] as const));
  const names = new Set<string>([...Object.keys(stats), ...breakers.keys()]);
  const rows: OperationRow[] = [];
  for (const name of names) {
    const s = stats[name];
    const b = breakers.get(name);
    const successes = s?.successes ?? 0;
    const failures = s?.failures ?? 0;
    rows.push({
      name: clip(name, 256),
      calls: s?.calls ?? 0,
      successes,
      failures,
      rejections: s?.rejections ?? 0,
      retries: s?.retries ?? 0,
      timeouts: s?.timeouts ?? 0,
      meanLatencyMs: s?.meanLatencyMs ?? 0,
      p50LatencyMs: s?.p50LatencyMs ?? 0,
      p99LatencyMs: s?.p99LatencyMs ?? 0,
      errorRate: successes + failures === 0 ? 0 : failures / (successes + failures),
      breaker:
        b === undefined
          ? null
          : {
              state: b.state,
              since: new Date(b.since).toISOString(),
              timeInStateMs: Math.max(0, now - b.since),
              shared:
                b.shared === undefined
                  ? null
                  : {
                      mode: b.shared.mode,
                      sharedState: b.shared.sharedState,
                      replicas: b.shared.replicas,
                      leaseHolder: b.shared.leaseHolder === null ? null : clip(b.shared.leaseHolder, 256),
                      holdsLease: b.shared.holdsLease,
                    },
            },
    });
  }
  // Busiest first, so the cap drops the quiet ones.
  return rows.sort((a, b) => b.calls - a.calls || (a.name < b.name ? -1 : 1)).slice(0, STATUS_LIMITS.operations);
}

function retryBudgetRows(budgets: readonly OwnedRetryBudgetStatus[]): OwnedRetryBudgetStatus[] {
  // The snapshots as they are, with the name bounded.
  return budgets
    .map((b) => ({ ...b, dependency: clip(b.dependency, 256) }))
    .sort((a, b) => b.exhausted - a.exhausted || (a.dependency < b.dependency ? -1 : 1))
    .slice(0, STATUS_LIMITS.retryBudgets);
}

function resourceView(u: ResourceUsageReport): StatusDocument['resources'] {
  const l = u.limits;
  const rows: ResourceRow[] = [
    { resource: 'memory', unit: 'bytes', current: u.memoryBytes, peak: u.peakMemoryBytes, limit: l.maxMemoryBytes },
    { resource: 'cpu', unit: '%', current: u.cpuPercent, peak: u.peakCpuPercent, limit: l.maxCpuPercent },
    { resource: 'event_loop_delay', unit: 'ms', current: u.eventLoopDelayMs, peak: u.peakEventLoopDelayMs, limit: l.maxEventLoopDelayMs },
    { resource: 'operations', unit: '', current: u.activeOperations, peak: u.peakOperations, limit: l.maxActiveOperations },
    { resource: 'db_connections', unit: '', current: u.databaseConnections, peak: u.peakDatabaseConnections, limit: l.maxDbConnections },
  ];
  return { rows, waitingForPermit: u.waitingForPermit, permitsRefused: u.permitsRefused };
}

function progressView(p: ShutdownProgressSnapshot): ShutdownProgressSnapshot {
  // The snapshot as it is, with the one free-text field bounded.
  return { ...p, reason: p.reason === null ? null : clip(p.reason, STATUS_LIMITS.text) };
}

function overloadView(o: OverloadStatus): OverloadStatus {
  // The snapshot as it is, lists capped and names bounded.
  return {
    ...o,
    limits: o.limits.slice(0, STATUS_LIMITS.operations).map((l) => ({ ...l, operation: clip(l.operation, 256) })),
    throttles: o.throttles.slice(0, STATUS_LIMITS.operations).map((t) => ({ ...t, dependency: clip(t.dependency, 256) })),
  };
}

function configFileView(status: ConfigFileStatus | null): StatusDocument['configFile'] {
  if (status === null) return null;
  const last = status.lastRejection;
  return {
    path: clip(status.path, STATUS_LIMITS.text),
    hash: status.hash,
    appliedAt: status.appliedAt,
    reloads: { ...status.reloads },
    lastRejection: last === null ? null : { at: last.at, message: clip(last.message, STATUS_LIMITS.text) },
  };
}
