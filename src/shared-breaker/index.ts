export { SharedBreakerHub, type SharedBreakerHubOptions } from './hub.js';
export type { SharedBreakerStatus } from './breaker.js';
export type { SharedStateStore } from './store.js';
