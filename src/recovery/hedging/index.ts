/** Hedging: one more attempt beside a slow one, the first success wins. */
export { Hedging, HEDGE_EVENT, HEDGE_SKIPPED_EVENT, type HedgeSkipReason, type HedgingShared } from './hedge.js';
export { hedgingConfigSchema, type HedgingConfig } from './config.js';
export { LatencyRing } from './latency.js';
