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

/** Our OTel logger, from whatever LoggerProvider is registered when it is called. */
export function getOtelLogger(): Logger {
  return logs.getLogger(SCOPE_NAME, SCOPE_VERSION);
}
