/** Retry: backoff, Retry-After, the deadline and the retry budget decide whether an attempt is made again. */
export { RetryStage, type RetryShared } from './stage.js';
