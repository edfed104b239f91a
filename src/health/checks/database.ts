import type { HealthCheck, HealthCheckResult } from '../result.js';

/** How to reach a database. */
export interface DatabaseCheckOptions {
  /** A cheap round-trip (`SELECT 1`); should stop when `signal` aborts. Throws when unreachable. */
  ping: (signal: AbortSignal) => Promise<unknown>;
  /** Round-trip in milliseconds above which the database is Warning; default 1000. */
  slowMs?: number;
  /** Monotonic clock in milliseconds; default `performance.now`. */
  now?: () => number;
}

/** Database connectivity and latency (the seed's `check_database_health`): `database:responseTime` in ms. */
export async function checkDatabaseHealth(options: DatabaseCheckOptions, signal: AbortSignal): Promise<HealthCheckResult> {
  const now = options.now ?? (() => performance.now());
  const start = now();
  await options.ping(signal);
  const latency = now() - start;
  const slowMs = options.slowMs ?? 1000;
  const slow = latency > slowMs;
  return {
    status: slow ? 'warning' : 'healthy',
    measurement: 'responseTime',
    componentType: 'datastore',
    observedValue: Math.round(latency * 1000) / 1000,
    observedUnit: 'ms',
    ...(slow ? { output: `ping took ${latency.toFixed(1)} ms (slow above ${slowMs} ms)` } : {}),
  };
}

/** A {@link HealthCheck} of a database, for `registerComponent`. */
export function createDatabaseCheck(options: DatabaseCheckOptions): HealthCheck {
  return (signal) => checkDatabaseHealth(options, signal);
}
