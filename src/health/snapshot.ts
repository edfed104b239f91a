/**
 * The health component's read model: what `getHealthStatus()`, `getSystemStatus().health`, `/status.json` and the
 * status page show of it. Plain JSON, and no code: this module imports only the vocabulary (`./status.js`, which
 * imports nothing), so the status page's browser script can import it type-only.
 */
import type { HealthStatus } from './status.js';

/** Counts of components per status. */
export interface HealthSummary {
  total: number;
  healthy: number;
  warning: number;
  critical: number;
  unknown: number;
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
