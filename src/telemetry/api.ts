import { metrics, trace, type Meter, type Tracer } from '@opentelemetry/api';
import { logs, type Logger } from '@opentelemetry/api-logs';
import { SCOPE_NAME, SCOPE_VERSION } from './names.js';

/**
 * Our tracer, from whatever TracerProvider is registered. The API returns a proxy that follows a provider
 * registered later, so taking it early is safe.
 */
export function getTracer(): Tracer {
  return trace.getTracer(SCOPE_NAME, SCOPE_VERSION);
}

/** Our meter, from whatever MeterProvider is registered when it is called. */
export function getMeter(): Meter {
  return metrics.getMeter(SCOPE_NAME, SCOPE_VERSION);
}

// On globalThis so the ESM and CJS builds share it: set by the SDK side (`src/sdk/direct-logs.ts`).
const WRAPPER_KEY = Symbol.for('@llmkg/production.otel-logger-wrapper');
type LoggerWrapper = (logger: Logger) => Logger;

/**
 * Our OTel logger, from whatever LoggerProvider is registered when it is called; when the SDK side installed
 * a wrapper (a cheaper emit path for the SDK's own logger), wrapped by it.
 */
export function getOtelLogger(): Logger {
  const logger = logs.getLogger(SCOPE_NAME, SCOPE_VERSION);
  const wrap = (globalThis as unknown as Record<symbol, LoggerWrapper | undefined>)[WRAPPER_KEY];
  return wrap === undefined ? logger : wrap(logger);
}

/** Installs the wrapper {@link getOtelLogger} applies (the SDK side's). */
export function setOtelLoggerWrapper(wrap: LoggerWrapper): void {
  (globalThis as unknown as Record<symbol, LoggerWrapper | undefined>)[WRAPPER_KEY] = wrap;
}
