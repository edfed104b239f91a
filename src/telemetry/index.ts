export * from './names.js';
export * from './api.js';
export * from './correlation.js';
export { reportInternalError, internalErrorCounts, guarded, INTERNAL_ERROR_LOG_INTERVAL_MS } from './internal-errors.js';
export { LogSummarizer, SUPPRESSED_ATTR, SUMMARY_INTERVAL_ATTR } from './log-summary.js';
