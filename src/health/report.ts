import type { ComponentHealthSnapshot } from './component.js';
import { HealthStatus } from './status.js';

/** Counts of components per status. */
export interface HealthSummary {
  total: number;
  healthy: number;
  warning: number;
  critical: number;
  unknown: number;
}

/** The whole system's health at one moment (the seed's `SystemHealthReport`). Plain JSON. */
export interface SystemHealthReport {
  /** Overall status: Critical if an essential component is, Warning if anything is degraded, Unknown before any run. */
  status: HealthStatus;
  /** True when every essential component is fresh and Healthy or Warning, and the system is not shutting down. */
  ready: boolean;
  /** True once shutdown began (readiness is withdrawn first). */
  shuttingDown: boolean;
  /** ISO time of the report. */
  timestamp: string;
  /** Every component by name. */
  components: Record<string, ComponentHealthSnapshot>;
  summary: HealthSummary;
  /** Essential components that are Critical or Unknown, i.e. the reasons the system is not ready. */
  essentialFailures: string[];
}

/** One component in {@link HealthStatusSnapshot}: its status and counters, times as ISO strings. */
export interface ComponentStatusSnapshot {
  /** As the endpoints see it: the held status, or `unknown` when the last result is too old. */
  status: HealthStatus;
  essential: boolean;
  /** True when the last result is older than the maximum age (or there is none). */
  stale: boolean;
  consecutiveFailures: number;
  totalChecks: number;
  totalFailures: number;
  /** Mean run time of every check so far, rounded to the microsecond. */
  avgResponseTimeMs: number;
  lastError: string | null;
  /** ISO time of the last run that did not fail. */
  lastSuccess: string | null;
  /** ISO time of the last finished run. */
  lastCheck: string | null;
}

/** `getHealthStatus()` (the seed's `get_health_status`): every component's status, as plain JSON. */
export interface HealthStatusSnapshot {
  status: HealthStatus;
  ready: boolean;
  shuttingDown: boolean;
  /** Why readiness was withdrawn (`setNotReady`), else null. */
  notReadyReason: string | null;
  /** True while the background runners run. */
  running: boolean;
  summary: HealthSummary;
  components: Record<string, ComponentStatusSnapshot>;
}

/**
 * Overall status from the components' statuses: Critical if any essential one is, Unknown when nothing has a
 * fresh result yet, Warning when anything is degraded or unknown, else Healthy (also with no components).
 */
export function aggregateStatus(components: Iterable<{ status: HealthStatus; essential: boolean }>): HealthStatus {
  let total = 0;
  let unknown = 0;
  let degraded = false;
  let critical = false;
  for (const c of components) {
    total++;
    if (c.status === HealthStatus.Unknown) unknown++;
    else if (c.status === HealthStatus.Critical && c.essential) critical = true;
    else if (c.status !== HealthStatus.Healthy) degraded = true;
  }
  if (critical) return HealthStatus.Critical;
  if (total > 0 && unknown === total) return HealthStatus.Unknown;
  return degraded || unknown > 0 ? HealthStatus.Warning : HealthStatus.Healthy;
}

/** True when a component in `status` may serve traffic: Healthy or Warning (degraded but working). */
export function isServing(status: HealthStatus): boolean {
  return status === HealthStatus.Healthy || status === HealthStatus.Warning;
}

/** Counts per status. */
export function summarise(components: Iterable<{ status: HealthStatus }>): HealthSummary {
  const summary: HealthSummary = { total: 0, healthy: 0, warning: 0, critical: 0, unknown: 0 };
  for (const c of components) {
    summary.total++;
    summary[c.status]++;
  }
  return summary;
}
