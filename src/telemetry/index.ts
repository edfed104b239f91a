/** Correlation IDs from outside: the one validation every entry point applies. */
export {
  CORRELATION_ID_PATTERN,
  MAX_CORRELATION_ID_LENGTH,
  isValidCorrelationId,
  correlationIdFromHeaders,
  currentCorrelationId,
  type CorrelationIdSource,
  type CorrelationIdRejected,
} from './correlation.js';
