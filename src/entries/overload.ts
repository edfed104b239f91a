/**
 * `@llmkg/production/overload`: overload control. Adaptive concurrency limits, criticality shedding, Node
 * signals, queue-delay control and client-side throttling of named dependencies, with the schemas of the
 * `overload` and `dependencies` sections. `api/production-overload.api.md` is the report of this surface. The types
 * its signatures share with the root entry are exported there (`@llmkg/production`), not again here.
 *
 * @module @llmkg/production/overload
 */
export type {
  AdaptiveLimiter,
  AdaptivePermit,
  PermitOutcome,
  LimitAlgorithm,
  LimitSample,
  LimitBounds,
  Gradient2Options,
  AimdOptions,
} from '../overload/index.js';
export {
  adaptiveConcurrencySchema,
  nodeSignalsSchema,
  queueDelaySchema,
  operationOverloadSchema,
  criticalitySchema,
  overloadConfigSchema,
} from '../overload/config.js';
export { dependencyConfigSchema, throttleConfigSchema, dependenciesConfigSchema } from '../dependencies/config.js';
