/** Overload control: adaptive concurrency limits, criticality shedding, client-side adaptive throttling. */
export { OverloadManager, EDGE_OPERATION, type OverloadManagerOptions, type OverloadStatus } from './manager.js';
export { AdaptiveLimiter, AdaptivePermit, limitAlgorithm, type AdaptiveLimitSnapshot, type PermitOutcome } from './adaptive-limiter.js';
export {
  Gradient2Limit,
  AimdLimit,
  type LimitAlgorithm,
  type LimitSample,
  type LimitBounds,
  type Gradient2Options,
  type AimdOptions,
} from './algorithms.js';
export { ClientThrottle, defaultAccepted, type ThrottleSnapshot } from './throttle.js';
export { QueueDelayControl, LoopLagProbe, type LoopLag, type QueueDelaySnapshot, type ActiveClock } from './queue-delay.js';
export { NodeSignals, processSignalProbe, type SignalProbe, type NodeSignalsSnapshot, type SignalShedding } from './signals.js';
export {
  CRITICALITIES,
  DEFAULT_CRITICALITY,
  CRITICALITY_BAGGAGE_KEY,
  criticalityRank,
  isCriticality,
  criticalityFromBaggage,
  countsByClass,
  type CountsByClass,
  type Criticality,
} from './criticality.js';
export type { RefusalByClass } from './class-share.js';
export {
  overloadConfigSchema,
  adaptiveConcurrencySchema,
  nodeSignalsSchema,
  queueDelaySchema,
  operationOverloadSchema,
  criticalitySchema,
  type OverloadConfig,
  type OverloadConfigInput,
  type AdaptiveConcurrencyConfig,
  type AdaptiveConcurrencyConfigInput,
  type NodeSignalsConfig,
  type QueueDelayConfig,
  type OperationOverloadInput,
} from './config.js';
export {
  dependenciesConfigSchema,
  dependencyConfigSchema,
  dependencyNameSchema,
  throttleConfigSchema,
  type DependencyConfig,
  type DependenciesConfigInput,
  type ThrottleConfig,
  type ThrottleConfigInput,
} from '../dependencies/config.js';
