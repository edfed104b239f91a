/** Error recovery: per-operation retry, circuit breaker, bulkhead and timeout on cockatiel, with statistics. */
export {
  ErrorRecoveryManager,
  type ErrorRecoveryOptions,
  type OperationPatch,
  type RecoveryHealth,
  type BreakerStatus,
} from './manager.js';
export type { BreakerSnapshot } from './breaker.js';
export type { Operation } from './operation.js';
export type { OperationStatsSnapshot } from './stats.js';
export { MAX_OPERATION_NAME_LENGTH, operationNameSchema } from './names.js';
export {
  errorRecoveryConfigSchema,
  operationRecoveryConfigSchema,
  retryConfigSchema,
  circuitBreakerConfigSchema,
  bulkheadConfigSchema,
  type ErrorRecoveryConfig,
  type OperationRecoveryConfig,
  type RetryConfig,
  type CircuitBreakerConfig,
  type BulkheadConfig,
} from './config.js';
export { retryBudgetConfigSchema, type RetryBudgetConfig, type RetryBudgetStatus } from './retry-budget.js';
export type { OwnedRetryBudgetStatus, RetryBudgetOwner } from './retry-budgets.js';
export { hedgingConfigSchema, type HedgingConfig, HEDGE_EVENT, HEDGE_SKIPPED_EVENT, type HedgeSkipReason } from './hedging/index.js';
export { slowCallConfigSchema, type SlowCallConfig } from './slow-call/index.js';
export { defaultRetryAfterMs, parseRetryAfter } from './retry-after.js';
