import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { HealthCheck, HealthCheckResult } from '../result.js';

/** Thresholds of the event-loop check. */
export interface EventLoopCheckOptions {
  /** p99 delay in milliseconds that is Warning. */
  warningMs: number;
  /** p99 delay in milliseconds that is Critical. */
  criticalMs: number;
  /** Sampling resolution in milliseconds; default 20. */
  resolutionMs?: number;
}

/** Event-loop delay against thresholds, from a histogram that resets after each read. */
export function checkEventLoopHealth(
  histogram: Pick<IntervalHistogram, 'percentile' | 'max' | 'mean' | 'reset' | 'count'>,
  options: EventLoopCheckOptions,
): HealthCheckResult {
  const samples = histogram.count;
  // Nanoseconds in the histogram; no sample yet (the first tick) reads as no delay.
  const p99 = samples > 0 ? histogram.percentile(99) / 1e6 : 0;
  const max = samples > 0 ? histogram.max / 1e6 : 0;
  const mean = samples > 0 ? histogram.mean / 1e6 : 0;
  histogram.reset();
  const status = p99 >= options.criticalMs ? 'critical' : p99 >= options.warningMs ? 'warning' : 'healthy';
  return {
    status,
    measurement: 'delay',
    componentType: 'system',
    observedValue: Math.round(p99 * 1000) / 1000,
    observedUnit: 'ms',
    ...(status === 'healthy' ? {} : { output: `event-loop delay p99 ${p99.toFixed(1)} ms` }),
    details: { p99Ms: p99, maxMs: max, meanMs: mean, samples },
  };
}

/**
 * A {@link HealthCheck} of event-loop delay. It keeps a `monitorEventLoopDelay` histogram enabled between
 * runs; `close()` (called by the system on shutdown or unregister) disables it.
 */
export function createEventLoopCheck(options: EventLoopCheckOptions): HealthCheck {
  const histogram = monitorEventLoopDelay({ resolution: options.resolutionMs ?? 20 });
  histogram.enable();
  const check: HealthCheck = () => checkEventLoopHealth(histogram, options);
  check.close = () => histogram.disable();
  return check;
}
