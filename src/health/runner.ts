import { context } from '@opentelemetry/api';
import { TimeoutError } from '../errors.js';
import type { AwaitedTimers } from '../internal/awaited-timers.js';
import { errorType } from '../telemetry/pipeline-telemetry.js';
import type { ComponentHealth } from './component.js';
import { boundOutput, normaliseResult, type CheckOutcome, type HealthCheckResult } from './result.js';
import type { HealthTelemetry } from './telemetry.js';

/** Clocks a run uses: wall time for the record, a monotonic one for the duration. */
export interface RunClocks {
  /** Epoch milliseconds. */
  readonly wall: () => number;
  /** Monotonic milliseconds. */
  readonly monotonic: () => number;
}

const noop = (): void => {};

/**
 * Runs one check once, inside its span, with its own `AbortSignal`. The timeout aborts the signal and ends the
 * run as a failure at once, whether or not the check honours the abort, so no probe stays stuck; the same
 * happens when `stop` aborts (shutdown). The timeout timer comes from `timers`: unref'd for a background
 * run, ref'd while a caller awaits the run (see {@link AwaitedTimers}). Never rejects.
 */
export async function runCheck(component: ComponentHealth, telemetry: HealthTelemetry, clocks: RunClocks, stop: AbortSignal, timers: AwaitedTimers): Promise<CheckOutcome> {
  const controller = new AbortController();
  const timeoutMs = component.config.timeoutMs;
  const span = telemetry.startCheckSpan(component);
  const start = clocks.monotonic();
  let timer: NodeJS.Timeout | undefined;
  let onStop: (() => void) | undefined;
  let status: CheckOutcome['status'];
  let result: HealthCheckResult;
  let error: string | undefined;
  let type: string | undefined;
  let timedOut = false;
  try {
    const cutOff = new Promise<never>((_, reject) => {
      timer = timers.setTimeout(() => {
        const reason = new TimeoutError(`health.check ${component.name}`, timeoutMs);
        controller.abort(reason);
        reject(reason);
      }, timeoutMs);
      onStop = () => {
        controller.abort(stop.reason);
        reject(stop.reason instanceof Error ? stop.reason : new Error('health checks stopped'));
      };
      if (stop.aborted) onStop();
      else stop.addEventListener('abort', onStop, { once: true });
    });
    const work = context.with(telemetry.contextFor(span), invoke, undefined, component, controller.signal);
    // A check that ignores its signal may still settle after the cut-off; nobody awaits it then.
    work.catch(noop);
    result = normaliseResult(await Promise.race([work, cutOff]));
    status = result.status ?? 'healthy';
  } catch (caught) {
    timedOut = caught instanceof TimeoutError;
    status = 'critical';
    error = boundOutput(caught instanceof Error ? caught.message : String(caught));
    type = errorType(caught);
    result = { status: 'critical', output: error };
  } finally {
    timers.clearTimeout(timer);
    if (onStop) stop.removeEventListener('abort', onStop);
  }
  const outcome: CheckOutcome = { status, result, error, errorType: type, timedOut, durationMs: clocks.monotonic() - start, time: clocks.wall() };
  telemetry.finishCheck(component, span, outcome);
  return outcome;
}

async function invoke(component: ComponentHealth, signal: AbortSignal): Promise<unknown> {
  return component.check(signal);
}
