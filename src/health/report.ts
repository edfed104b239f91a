import type { ComponentHealthSnapshot } from './component.js';
import type { HealthSummary } from './snapshot.js';
import { HealthStatus } from './status.js';

// For modules that read the report and the snapshot from one place (src/system.ts).
export type { HealthStatusSnapshot } from './snapshot.js';

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
