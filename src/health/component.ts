import type { Attributes } from '@opentelemetry/api';
import { ATTR } from '../telemetry/names.js';
import type { ComponentCheckConfig } from './config.js';
import type { CheckOutcome, HealthCheck, HealthCheckResult } from './result.js';
import { HEALTH_STATUSES, HealthStatus } from './status.js';

/** A status change of one component, as logged. */
export interface HealthTransition {
  readonly component: string;
  readonly from: HealthStatus;
  readonly to: HealthStatus;
  /** The failure that caused it, when there was one. */
  readonly error: string | undefined;
}

/** Plain-JSON view of one component at one moment. */
export interface ComponentHealthSnapshot {
  name: string;
  /** Status as the endpoints see it: the held status, or `unknown` when the last result is too old. */
  status: HealthStatus;
  /** Status the thresholds hold, whatever the result's age. */
  heldStatus: HealthStatus;
  /** True when the last result is older than the maximum age (or there is none). */
  stale: boolean;
  essential: boolean;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  totalChecks: number;
  totalFailures: number;
  /** Mean run time of every check so far, in milliseconds. */
  avgResponseTimeMs: number;
  /** Run time of the last check, in milliseconds. */
  lastDurationMs: number | undefined;
  lastError: string | undefined;
  /** Epoch milliseconds of the last failure. */
  lastErrorTime: number | undefined;
  /** Epoch milliseconds of the last run that did not fail. */
  lastSuccessTime: number | undefined;
  /** Epoch milliseconds of the last finished run. */
  lastCheckTime: number | undefined;
  /** Verdict of the last run alone, before thresholds. */
  lastCheckStatus: HealthStatus;
  /** The last run's result (details included). */
  result: HealthCheckResult | undefined;
  config: ComponentCheckConfig;
}

/**
 * Health tracking of one component (the seed's `ComponentHealth`): runs are fed in by the system, thresholds
 * turn consecutive failures into Warning then Critical, and consecutive successes bring it back.
 */
export class ComponentHealth {
  status: HealthStatus = HealthStatus.Unknown;
  consecutiveFailures = 0;
  consecutiveSuccesses = 0;
  totalChecks = 0;
  totalFailures = 0;
  avgResponseTimeMs = 0;
  lastDurationMs: number | undefined;
  lastError: string | undefined;
  lastErrorTime: number | undefined;
  lastSuccessTime: number | undefined;
  lastCheckTime: number | undefined;
  lastCheckStatus: HealthStatus = HealthStatus.Unknown;
  lastResult: HealthCheckResult | undefined;
  /** `production.component` attribute set, built once. */
  readonly attributes: Attributes;
  /** Gauge attribute sets, one per status, built once. */
  readonly statusAttributes: Readonly<Record<HealthStatus, Attributes>>;

  constructor(
    readonly name: string,
    readonly check: HealthCheck,
    readonly config: ComponentCheckConfig,
    readonly isEssential: boolean,
  ) {
    this.attributes = { [ATTR.component]: name };
    const byStatus = {} as Record<HealthStatus, Attributes>;
    for (const status of HEALTH_STATUSES) byStatus[status] = { [ATTR.component]: name, [ATTR.status]: status };
    this.statusAttributes = byStatus;
  }

  /** Feeds one finished run in; returns the status change it caused, if any. */
  record(outcome: CheckOutcome): HealthTransition | undefined {
    const from = this.status;
    this.totalChecks++;
    this.avgResponseTimeMs += (outcome.durationMs - this.avgResponseTimeMs) / this.totalChecks;
    this.lastDurationMs = outcome.durationMs;
    this.lastCheckTime = outcome.time;
    this.lastCheckStatus = outcome.status;
    this.lastResult = outcome.result;
    const { warningThreshold, criticalThreshold, recoveryThreshold } = this.config;
    if (outcome.status === 'critical') {
      this.totalFailures++;
      this.consecutiveFailures++;
      this.consecutiveSuccesses = 0;
      this.lastError = outcome.error ?? outcome.result.output ?? 'check reported critical';
      this.lastErrorTime = outcome.time;
      if (this.consecutiveFailures >= criticalThreshold) this.status = HealthStatus.Critical;
      else if (this.consecutiveFailures >= warningThreshold && this.status !== HealthStatus.Critical) this.status = HealthStatus.Warning;
    } else {
      this.consecutiveSuccesses++;
      this.consecutiveFailures = 0;
      this.lastSuccessTime = outcome.time;
      // A component that was failing stays where it is until enough successes in a row vouch for it.
      const recovering = (from === HealthStatus.Critical || from === HealthStatus.Warning) && this.consecutiveSuccesses < recoveryThreshold;
      if (!recovering) this.status = outcome.status === 'warning' ? HealthStatus.Warning : HealthStatus.Healthy;
    }
    return from === this.status
      ? undefined
      : { component: this.name, from, to: this.status, error: outcome.status === 'critical' ? this.lastError : undefined };
  }

  /** True when there is no result, or the last one finished more than `maxAgeMs` before `now`. */
  isStale(now: number, maxAgeMs: number): boolean {
    return this.lastCheckTime === undefined || now - this.lastCheckTime > maxAgeMs;
  }

  /** The status the endpoints report: held, or Unknown once stale. */
  effectiveStatus(now: number, maxAgeMs: number): HealthStatus {
    return this.isStale(now, maxAgeMs) ? HealthStatus.Unknown : this.status;
  }

  /** Plain-JSON view at `now`. */
  snapshot(now: number, maxAgeMs: number): ComponentHealthSnapshot {
    const stale = this.isStale(now, maxAgeMs);
    return {
      name: this.name,
      status: stale ? HealthStatus.Unknown : this.status,
      heldStatus: this.status,
      stale,
      essential: this.isEssential,
      consecutiveFailures: this.consecutiveFailures,
      consecutiveSuccesses: this.consecutiveSuccesses,
      totalChecks: this.totalChecks,
      totalFailures: this.totalFailures,
      avgResponseTimeMs: this.avgResponseTimeMs,
      lastDurationMs: this.lastDurationMs,
      lastError: this.lastError,
      lastErrorTime: this.lastErrorTime,
      lastSuccessTime: this.lastSuccessTime,
      lastCheckTime: this.lastCheckTime,
      lastCheckStatus: this.lastCheckStatus,
      result: this.lastResult,
      config: this.config,
    };
  }
}
