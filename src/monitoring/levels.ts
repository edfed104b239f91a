import { SeverityNumber } from '@opentelemetry/api-logs';
import type { LogLevel } from '../pipeline.js';
import { LOG_LEVELS } from './config.js';

/** Rank of each level, lowest first, so filtering is one integer comparison. */
export const LEVEL_RANK: Readonly<Record<LogLevel, number>> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, critical: 5 };

/** OTel severity of each level (Critical maps to FATAL). */
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

/** True when `value` names a level. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}
