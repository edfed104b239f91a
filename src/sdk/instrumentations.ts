// The outgoing-call instrumentations we register: Node's HTTP client and server, and undici (Node's `fetch`).
// Each package is loaded when it is first asked for, so a process that turns telemetry off never reads it.
import { context } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
// Types only (erased): the module is loaded when first used.
import type * as InstrumentationUndici from '@opentelemetry/instrumentation-undici';
import { moduleRequire } from '../internal/module-require.js';
import { resendAttributes } from '../outgoing/resend.js';

/** The undici instrumentation's name, as its package reports it (to spot one the application made). */
export const UNDICI_INSTRUMENTATION_NAME = '@opentelemetry/instrumentation-undici';

const UNDICI = Symbol.for('@llmkg/production.undici-instrumentation');

/**
 * The process's one undici instrumentation (created on first call, even across our CJS and ESM builds): a
 * client span per `fetch`/undici request with the semantic-convention attributes, and `traceparent`,
 * `baggage` and `production-deadline-ms` written by the global propagator (ours carries the deadline). One
 * instance only: each one subscribes to undici's diagnostics channels as it is made, so two would make two
 * spans per request. A resend by the protected client (`system.dependencyFetch`) carries
 * `http.request.resend_count`.
 */
export function undiciInstrumentation(): Instrumentation {
  const holder = globalThis as unknown as Record<symbol, Instrumentation | undefined>;
  let instance = holder[UNDICI];
  if (instance === undefined) {
    const { UndiciInstrumentation } = moduleRequire('@opentelemetry/instrumentation-undici') as typeof InstrumentationUndici;
    instance = new UndiciInstrumentation({ startSpanHook: () => resendAttributes(context.active()) });
    holder[UNDICI] = instance;
  }
  return instance;
}

/** `instrumentations` with ours for undici added, unless the list already holds an undici instrumentation. */
export function withUndiciInstrumentation(instrumentations: readonly Instrumentation[]): Instrumentation[] {
  const has = instrumentations.some((i) => i.instrumentationName === UNDICI_INSTRUMENTATION_NAME);
  return has ? [...instrumentations] : [...instrumentations, undiciInstrumentation()];
}
