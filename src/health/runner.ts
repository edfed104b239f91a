import { context } from '@opentelemetry/api';
import { TimeoutError } from '../errors.js';
import type { AwaitedTimers } from '../internal/awaited-timers.js';
import { callWithTimeout, type Clock } from '../internal/time.js';
import { errorType } from '../telemetry/pipeline-telemetry.js';
import type { ComponentHealth } from './component.js';
import { boundOutput, normaliseResult, type CheckOutcome, type HealthCheckResult } from './result.js';
import type { HealthTelemetry } from './telemetry.js';

/**
 * Runs one check once, inside its span, with its own `AbortSignal`. The timeout aborts the signal and ends the
 * run as a failure at once, whether or not the check honours the abort, so no probe stays stuck; the same
 * happens when `stop` aborts (shutdown). The timeout timer comes from `timers`: unref'd for a background
 * run, ref'd while a caller awaits the run (see {@link AwaitedTimers}). Never rejects.
 */
export async function runCheck(
  component: ComponentHealth,
  telemetry: HealthTelemetry,
  clock: Clock,
  stop: AbortSignal,
  timers: AwaitedTimers,
): Promise<CheckOutcome> {
  const span = telemetry.startCheckSpan(component);
  const start = clock.monotonic();
  let status: CheckOutcome['status'];
  let result: HealthCheckResult;
  let error: string | undefined;
  let type: string | undefined;
  let timedOut = false;
  try {
    const raw = await callWithTimeout(
      (signal) => context.with(telemetry.contextFor(span), invoke, undefined, component, signal),
      component.config.timeoutMs,
      {
        what: `health.check ${component.name}`,
        stop,
        stopError: (reason) => (reason instanceof Error ? reason : new Error('health checks stopped')),
        timers,
      },
    );
    result = normaliseResult(raw);
    status = result.status ?? 'healthy';
  } catch (caught) {
    timedOut = caught instanceof TimeoutError;
    status = 'critical';
    error = boundOutput(caught instanceof Error ? caught.message : String(caught));
    type = errorType(caught);
    result = { status: 'critical', output: error };
  }
  const outcome: CheckOutcome = {
    status,
    result,
    error,
    errorType: type,
    timedOut,
    durationMs: clock.monotonic() - start,
    time: clock.wall(),
  };
  telemetry.finishCheck(component, span, outcome);
  return outcome;
}

async function invoke(component: ComponentHealth, signal: AbortSignal): Promise<unknown> {
  return component.check(signal);
}
