// The outgoing-call instrumentations we register: Node's HTTP client and server, and undici (Node's `fetch`).
// Each package is loaded when it is first asked for, so a process that turns telemetry off never reads it.
import { context, metrics, type MeterProvider, type TracerProvider } from '@opentelemetry/api';
import type { Instrumentation, InstrumentationConfig } from '@opentelemetry/instrumentation';
// Types only (erased): the module is loaded when first used.
import type * as InstrumentationUndici from '@opentelemetry/instrumentation-undici';
import { moduleRequire } from '../internal/module-require.js';
import { resendAttributes } from '../outgoing/resend.js';
import { UNDICI_CLIENT_SCOPE, instrumentUndiciRequests, type UndiciClientInstrumentation } from './preload/undici-client.js';

/** The undici instrumentation's name, as its package reports it (to spot one the application made). */
export const UNDICI_INSTRUMENTATION_NAME = '@opentelemetry/instrumentation-undici';

const UNDICI = Symbol.for('@llmkg/production.undici-instrumentation');
const LEAN_UNDICI = Symbol.for('@llmkg/production.lean-undici-instrumentation');

/** The lean undici instrumentation's name (its instrumentation scope), as {@link leanUndiciInstrumentation} reports it. */
export const LEAN_UNDICI_INSTRUMENTATION_NAME = UNDICI_CLIENT_SCOPE;

/**
 * The lean undici instrumentation as an OTel `Instrumentation`, for a NodeSDK's `instrumentations` or
 * `registerInstrumentations`: the same client span and `http.client.request.duration` histogram as
 * {@link undiciInstrumentation}, for less per request (see docs/outgoing-calls.md), and it steps aside when an
 * @opentelemetry/instrumentation-undici is subscribed too. The preload uses it; `productionSdkConfig()` keeps
 * the official one unless this is in `extra.instrumentations`. One instance per process (across our CJS
 * and ESM builds), subscribed while enabled.
 */
export function leanUndiciInstrumentation(): Instrumentation {
  const holder = globalThis as unknown as Record<symbol, Instrumentation | undefined>;
  return (holder[LEAN_UNDICI] ??= new LeanUndiciInstrumentation());
}

class LeanUndiciInstrumentation implements Instrumentation {
  readonly instrumentationName = LEAN_UNDICI_INSTRUMENTATION_NAME;
  readonly instrumentationVersion = '1.0.0';
  private tracerProvider: TracerProvider | undefined;
  private meterProvider: MeterProvider | undefined;
  private installed: UndiciClientInstrumentation | undefined;

  enable(): void {
    this.installed ??= instrumentUndiciRequests({
      ...(this.tracerProvider !== undefined ? { tracerProvider: this.tracerProvider } : {}),
      ...(this.meterProvider !== undefined ? { meterProvider: this.meterProvider } : {}),
    });
  }
  disable(): void {
    this.installed?.disable();
    this.installed = undefined;
  }
  setTracerProvider(tracerProvider: TracerProvider): void {
    this.tracerProvider = tracerProvider;
  }
  // registerInstrumentations passes the global provider of the moment, a no-op one before a NodeSDK sets
  // its own: the global one is then followed (read at the first request's end) instead of kept.
  setMeterProvider(meterProvider: MeterProvider): void {
    this.meterProvider = meterProvider === metrics.getMeterProvider() ? undefined : meterProvider;
  }
  setConfig(): void {}
  // `enabled` false until enable(): registerInstrumentations enables only the instrumentations that say so.
  getConfig(): InstrumentationConfig {
    return { enabled: this.installed !== undefined };
  }
}

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

/**
 * `instrumentations` with the official undici instrumentation added, unless the list already holds one, or
 * holds {@link leanUndiciInstrumentation} (the opt-in to the lean one).
 */
export function withUndiciInstrumentation(instrumentations: readonly Instrumentation[]): Instrumentation[] {
  const names = [UNDICI_INSTRUMENTATION_NAME, LEAN_UNDICI_INSTRUMENTATION_NAME];
  const has = instrumentations.some((i) => names.includes(i.instrumentationName));
  return has ? [...instrumentations] : [...instrumentations, undiciInstrumentation()];
}
