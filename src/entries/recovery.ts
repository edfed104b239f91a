/**
 * `@llmkg/production/recovery`: error recovery per operation (retry, circuit breaker, bulkhead, timeout,
 * hedging, slow-call breaker, retry budgets) with its statistics, the breakers shared across replicas, and the
 * schemas of the `errorRecovery` section. `api/production-recovery.api.md` is the report of this surface. The types
 * its signatures share with the root entry are exported there (`@llmkg/production`), not again here.
 *
 * @module @llmkg/production/recovery
 */
export { ErrorRecoveryManager } from '../recovery/manager.js';
export { MAX_OPERATION_NAME_LENGTH, operationNameSchema } from '../recovery/names.js';
export {
  errorRecoveryConfigSchema,
  operationRecoveryConfigSchema,
  retryConfigSchema,
  circuitBreakerConfigSchema,
  bulkheadConfigSchema,
} from '../recovery/config.js';
export { retryBudgetConfigSchema } from '../recovery/retry-budget.js';
export { hedgingConfigSchema } from '../recovery/hedging/index.js';
export { slowCallConfigSchema } from '../recovery/slow-call/index.js';
export { defaultRetryAfterMs } from '../recovery/retry-after.js';
export { BREAKER_CHECKPOINT } from '../create.js';
