/** Slow-call breaker: opens the circuit on the share of slow calls, counting those still in flight. */
export { SlowCallMonitor, type IsolatableBreaker } from './monitor.js';
export { slowCallConfigSchema, type SlowCallConfig } from './config.js';
export { SlowCallStage } from './stage.js';
