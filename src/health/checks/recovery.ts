import type { HealthCheck, HealthCheckResult } from '../result.js';

/**
 * Error recovery's health: open circuit breakers make it Warning (some operations are refused, the rest
 * work). `openBreakers` is e.g. `() => recoveryManager.openBreakers()`.
 */
export function checkErrorRecoveryHealth(openBreakers: () => readonly string[]): HealthCheckResult {
  const open = openBreakers();
  return {
    status: open.length > 0 ? 'warning' : 'healthy',
    measurement: 'open_breakers',
    observedValue: open.length,
    observedUnit: '{breaker}',
    ...(open.length > 0 ? { output: `circuit breakers open: ${open.slice(0, 20).join(', ')}${open.length > 20 ? ', …' : ''}` } : {}),
    details: { openBreakers: open.slice(0, 100) },
  };
}

/** A {@link HealthCheck} of error recovery, for `registerComponent`. */
export function createErrorRecoveryCheck(openBreakers: () => readonly string[]): HealthCheck {
  return () => checkErrorRecoveryHealth(openBreakers);
}
