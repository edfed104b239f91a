/**
 * `@llmkg/production`: protected operations with retries, circuit breakers, rate limits, health checks,
 * monitoring, alerts and graceful shutdown, as OpenTelemetry signals.
 */
export * from './errors.js';
export * from './guard.js';
export type * from './pipeline.js';
export {
  resolveConfig,
  configFromEnv,
  productionConfigSchema,
  ENV_SETTINGS,
  type EnvSetting,
  type ProductionConfig,
  type ProductionConfigInput,
  type OperationConfigInput,
} from './config.js';
export * from './recovery/index.js';
export * from './telemetry/index.js';
export { ProductionSystem, MAX_ID_LENGTH, type ProductionComponents, type ProtectedOperationOptions } from './system.js';
export * from './limits/index.js';
export * from './health/index.js';
export * from './http/index.js';
export * from './monitoring/index.js';
export * from './shutdown/index.js';
export {
  createProductionSystem,
  createProductionSystemWithConfig,
  restoreFromCheckpoint,
  BREAKER_CHECKPOINT,
  RATE_LIMIT_CHECKPOINT,
  type CreateProductionSystemOptions,
  type StandardComponents,
  type StandardProductionSystem,
} from './create.js';
