/** Deadlines that travel with a call: in OTel context inside the process, in request headers across services. */
export {
  DeadlinePropagator,
  type DeadlinePropagatorOptions,
  DEADLINE_HEADER,
  GRPC_TIMEOUT_HEADER,
  ENVOY_TIMEOUT_HEADER,
  parseGrpcTimeout,
} from './propagator.js';
export { withDeadline, deadlineOf, deadlineRemainingMs } from './context.js';
export { DeadlineSignal } from './wait.js';
export { deadlinesConfigSchema, type DeadlinesConfig, DEFAULT_MAX_INCOMING_DEADLINE_MS } from './config.js';
