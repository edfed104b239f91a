/** Error recovery: per-operation retry, circuit breaker, bulkhead and timeout on cockatiel, with statistics. */
export { ErrorRecoveryManager, type ErrorRecoveryOptions, type OperationPatch } from './manager.js';
export { BREAKER_STATES, type BreakerSnapshot } from './breaker.js';
export { isOperationFailure, type Operation } from './operation.js';
export type { OperationStatsSnapshot } from './stats.js';
export { validateOperationName, MAX_OPERATION_NAME_LENGTH } from './names.js';
export * from './config.js';
