/**
 * The names every component shares: instrumentation scope, span, metric and attribute names.
 * Dashboards, alert rules and users' queries depend on these; see docs/telemetry.md.
 */

/** Instrumentation scope name for our tracer, meter and logger. */
export const SCOPE_NAME = '@llmkg/production';
/** Instrumentation scope version. */
export const SCOPE_VERSION = '0.1.0';

/** Attribute keys. */
export const ATTR = {
  operationName: 'production.operation.name',
  correlationId: 'production.correlation_id',
  userId: 'user.id',
  outcome: 'production.outcome',
  attempts: 'production.attempts',
  attempt: 'production.attempt',
  retryDelayMs: 'production.retry.delay_ms',
  errorType: 'error.type',
  component: 'production.component',
  executionTimeMs: 'production.execution_time_ms',
  rateLimitScope: 'production.rate_limit.scope',
  resource: 'production.resource',
  state: 'state',
  status: 'status',
  decision: 'decision',
  phase: 'phase',
  dependency: 'production.dependency',
  deadlineRemainingMs: 'production.deadline.remaining_ms',
  retrySkipReason: 'reason',
  alertName: 'alertname',
  alertState: 'alertstate',
  severity: 'severity',
  criticality: 'production.criticality',
} as const;

/** Metric instrument names (OTel form; Prometheus scrapes dots as underscores). */
export const METRIC = {
  operationDuration: 'production.operation.duration',
  operationActive: 'production.operation.active',
  operationRetries: 'production.operation.retries',
  circuitBreakerState: 'production.circuit_breaker.state',
  sharedBreakerState: 'production.circuit_breaker.shared.state',
  sharedBreakerConnected: 'production.circuit_breaker.shared.connected',
  sharedBreakerReplicas: 'production.circuit_breaker.shared.replicas',
  sharedBreakerLeaseHeld: 'production.circuit_breaker.shared.lease_held',
  sharedBreakerPublishes: 'production.circuit_breaker.shared.publishes',
  rateLimitDecisions: 'production.rate_limit.decisions',
  resourceUsage: 'production.resource.usage',
  healthStatus: 'production.health.status',
  healthCheckDuration: 'production.health.check.duration',
  alerts: 'production.alerts',
  shutdownPhase: 'production.shutdown.phase',
  internalErrors: 'production.internal.errors',
  retryBudgetBalance: 'production.retry_budget.balance',
  retryBudgetExhausted: 'production.retry_budget.exhausted',
  correlationIdRejected: 'production.correlation_id.rejected',
  concurrencyLimit: 'production.concurrency.limit',
  concurrencyInFlight: 'production.concurrency.in_flight',
  concurrencyShed: 'production.concurrency.shed',
  throttleProbability: 'production.throttle.probability',
  configReloads: 'production.config.reloads',
} as const;

/** Outcome of one protected operation, as recorded on its span and duration histogram. */
export type Outcome = 'success' | 'error' | 'rejected';

/** W3C baggage key that carries the correlation ID into nested operations and downstream services. */
export const CORRELATION_BAGGAGE_KEY = 'correlation_id';

/**
 * Bucket boundaries, in seconds, for operation and check durations: 0.5 ms to 60 s. The SDK's default
 * boundaries are sized for milliseconds, so every seconds histogram passes these through `advice`.
 */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
