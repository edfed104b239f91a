/** The circuit breaker as a stage of the attempt path. */
export { BreakerStage } from './stage.js';
