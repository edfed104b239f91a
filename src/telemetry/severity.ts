import { SeverityNumber } from '@opentelemetry/api-logs';
import type { LogLevel } from '../pipeline.js';

/** OTel severity of each of our log levels (Critical maps to FATAL), shared by every component that logs. */
export const LEVEL_SEVERITY: Readonly<Record<LogLevel, SeverityNumber>> = {
  trace: SeverityNumber.TRACE,
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
  critical: SeverityNumber.FATAL,
};

/** `severityText` of each level, as the seed names them. */
export const LEVEL_TEXT: Readonly<Record<LogLevel, string>> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  critical: 'CRITICAL',
};
