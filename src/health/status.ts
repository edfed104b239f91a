/** Health status of a component or of the whole system (the seed's `HealthStatus`). */
export const HealthStatus = {
  Healthy: 'healthy',
  Warning: 'warning',
  Critical: 'critical',
  Unknown: 'unknown',
} as const;

/** One of `healthy`, `warning`, `critical`, `unknown`; these strings are the `status` metric attribute values. */
export type HealthStatus = (typeof HealthStatus)[keyof typeof HealthStatus];

/** Every status, in the order the `production.health.status` gauge reports them. */
export const HEALTH_STATUSES: readonly HealthStatus[] = ['healthy', 'warning', 'critical', 'unknown'];

/** What one check run concluded: a check cannot conclude "unknown", only the lack of a fresh run can. */
export type CheckStatus = Exclude<HealthStatus, 'unknown'>;

/** IETF draft-inadarei-api-health-check status values. */
export type IetfHealthStatus = 'pass' | 'warn' | 'fail';

/**
 * IETF status of one of ours. Unknown is `warn`: nothing says the component fails, but nothing fresh says it
 * passes either.
 */
export function toIetfStatus(status: HealthStatus): IetfHealthStatus {
  if (status === 'healthy') return 'pass';
  if (status === 'critical') return 'fail';
  return 'warn';
}
