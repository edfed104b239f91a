import type { Counter, Meter } from '@opentelemetry/api';
import type { OperationLogger } from '../pipeline.js';
import { getMeter, getOtelLogger } from './api.js';
import { LogSummarizer } from './log-summary.js';
import { ATTR, METRIC } from './names.js';
import { LEVEL_SEVERITY, LEVEL_TEXT } from './severity.js';

/** How often an internal error of one component is logged at most; the rest are counted in a summary. */
export const INTERNAL_ERROR_LOG_INTERVAL_MS = 60_000;

/** Writes straight to the OTel logs API: the reporter must work before, and after, any monitor exists. */
const otelSink: OperationLogger = {
  log(level, component, operation, message, metadata) {
    getOtelLogger().emit({
      severityNumber: LEVEL_SEVERITY[level],
      severityText: LEVEL_TEXT[level],
      body: message,
      attributes: { [ATTR.component]: component, [ATTR.operationName]: operation, ...(metadata as Record<string, string | number>) },
    });
  },
};

const counters = new WeakMap<Meter, Counter>();
const summarizer = new LogSummarizer(otelSink, INTERNAL_ERROR_LOG_INTERVAL_MS, 100);
const components = new Map<string, number>();
const MAX_COMPONENTS = 100;

function counter(): Counter {
  // The metrics API has no proxy: a meter taken before the application registers its MeterProvider stays a
  // no-op, so the meter is looked up on each (rare) error, and its counter cached per meter.
  const meter = getMeter();
  let c = counters.get(meter);
  if (c === undefined) {
    c = meter.createCounter(METRIC.internalErrors, {
      description:
        'Errors the library caught in its own scheduled callbacks (samplers, health runners, alert evaluation, notifier queues, flushes, checkpoints)',
      unit: '{error}',
    });
    counters.set(meter, c);
  }
  return c;
}

/**
 * Records an error the library caught in one of its own callbacks: counts it in `production.internal.errors`
 * (attribute `production.component`) and logs it at most once per component per minute, with a summary of
 * the ones not logged. Never throws.
 */
export function reportInternalError(component: string, error: unknown): void {
  const name = components.has(component) || components.size < MAX_COMPONENTS ? component : '_OTHER';
  components.set(name, (components.get(name) ?? 0) + 1);
  try {
    counter().add(1, { [ATTR.component]: name });
  } catch {
    // Counting must not fail the caller; the in-process count above still holds.
  }
  try {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const code = (error as { code?: unknown } | undefined)?.code;
    summarizer.log(name, 'error', name, 'internal_error', `Internal error in ${name} (caught, the work goes on): ${message}`, {
      'exception.message': message,
      ...(typeof code === 'string' ? { 'exception.type': code } : {}),
    });
  } catch {
    // Logging is best effort here.
  }
}

/** Internal errors reported in this process, by component (for `getSystemStatus()` and tests). */
export function internalErrorCounts(): Record<string, number> {
  return Object.fromEntries(components);
}

/**
 * Wraps a callback the library schedules (a timer, an event listener) so that it never throws: an error is
 * reported through {@link reportInternalError} and the callback returns normally. A promise it returns is
 * caught the same way.
 */
export function guarded<A extends unknown[]>(component: string, fn: (...args: A) => unknown): (...args: A) => void {
  return (...args: A) => {
    try {
      const result = fn(...args);
      if (result instanceof Promise) result.catch((error: unknown) => reportInternalError(component, error));
    } catch (error) {
      reportInternalError(component, error);
    }
  };
}
