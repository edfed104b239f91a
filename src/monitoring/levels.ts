import type { LogLevel } from '../pipeline.js';
import { LOG_LEVELS } from './config.js';

/** Rank of each level, lowest first, so filtering is one integer comparison. */
export const LEVEL_RANK: Readonly<Record<LogLevel, number>> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, critical: 5 };

export { LEVEL_SEVERITY, LEVEL_TEXT } from '../telemetry/severity.js';

/** True when `value` names a level. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}
