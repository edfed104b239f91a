/** Bulkhead: a bounded number of attempts at once and a bounded queue. */
export { Bulkhead } from './bulkhead.js';
export { BulkheadStage } from './stage.js';
