import { metrics, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { settleWithin } from './clock.js';
import type { ShutdownHandler } from './handler.js';

/** A provider (tracer, meter or logger) as the SDKs shape them; both methods are optional on the API side. */
export interface FlushableProvider {
  forceFlush?(): Promise<unknown>;
  shutdown?(): Promise<unknown>;
}

/** Priority to register {@link createTelemetryFlushHandler} with, so nothing sorts after it. */
export const TELEMETRY_FLUSH_PRIORITY = Number.MAX_SAFE_INTEGER;

function unwrap(provider: unknown, method: 'getDelegate' | '_getDelegate'): unknown {
  const fn = (provider as Record<string, unknown> | undefined)?.[method];
  return typeof fn === 'function' ? (fn as () => unknown).call(provider) : provider;
}

function isFlushable(value: unknown): value is FlushableProvider {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.forceFlush === 'function' || typeof v.shutdown === 'function';
}

/**
 * The globally registered tracer, meter and logger providers that can flush. The trace and logs APIs hand
 * out proxies, so the real provider is their delegate; the no-op providers have neither method and drop out.
 */
export function registeredTelemetryProviders(): FlushableProvider[] {
  const candidates = [
    unwrap(trace.getTracerProvider(), 'getDelegate'),
    metrics.getMeterProvider(),
    unwrap(logs.getLoggerProvider(), '_getDelegate'),
  ];
  return [...new Set(candidates)].filter(isFlushable);
}

/** Options of {@link createTelemetryFlushHandler}. */
export interface TelemetryFlushOptions {
  /** The providers to flush; default {@link registeredTelemetryProviders} at shutdown time. */
  providers?: () => readonly FlushableProvider[];
  /** Also `shutdown()` them after the flush (default true): the process is about to end. */
  shutdownProviders?: boolean;
}

async function callAll(providers: readonly FlushableProvider[], method: 'forceFlush' | 'shutdown', signal: AbortSignal): Promise<void> {
  const calls = providers.map((p) => (typeof p[method] === 'function' ? p[method]!() : undefined));
  const settled = await settleWithin(Promise.allSettled(calls), signal);
  if (settled.status !== 'ok') throw signal.reason ?? new Error(`telemetry ${method} did not finish`);
  const failed = settled.value.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/**
 * The handler that flushes telemetry last: in its `finalize` step (after Terminated, also when forced,
 * bounded by `telemetryFlushTimeoutMs`) it calls `forceFlush()` on every provider, then `shutdown()`, so the
 * spans, metrics and log records of the drained requests and of the shutdown itself are exported.
 */
export function createTelemetryFlushHandler(options: TelemetryFlushOptions = {}): ShutdownHandler {
  const providers = options.providers ?? registeredTelemetryProviders;
  const shutdown = options.shutdownProviders ?? true;
  return {
    async finalize(signal) {
      const list = providers();
      // Every provider is flushed and shut down even when one fails; the first failure is reported.
      let firstError: unknown;
      await callAll(list, 'forceFlush', signal).catch((error: unknown) => (firstError ??= error));
      if (shutdown && !signal.aborted) await callAll(list, 'shutdown', signal).catch((error: unknown) => (firstError ??= error));
      if (firstError !== undefined) throw firstError;
    },
  };
}

/** The steps a {@link createCleanupHandler} callback can run in. */
export type CleanupStep = 'initiate' | 'stopAccepting' | 'cleanup';

/**
 * A handler that runs `close` in one step (default CleanupResources): stop background timers, close a
 * connection pool, mark health not-ready (`step: 'initiate'`), stop a server (`step: 'stopAccepting'`).
 */
export function createCleanupHandler(close: (signal: AbortSignal) => Promise<void> | void, options: { step?: CleanupStep } = {}): ShutdownHandler {
  const step = options.step ?? 'cleanup';
  return { [step]: (signal: AbortSignal) => close(signal) };
}

/** The part of `http.Server` (or `https`, `http2`) that {@link createServerCloseHandler} uses. */
export interface ClosableServer {
  close(callback?: (error?: Error) => void): unknown;
  closeIdleConnections?(): void;
  closeAllConnections?(): void;
}

/**
 * Stops a server in two steps: at StopAcceptingRequests (or CleanupResources with
 * `stopListeningAt: 'cleanup'`) it stops listening and closes idle keep-alive connections; at
 * CleanupResources it waits for the remaining connections and, at the step's deadline, closes them all.
 */
export function createServerCloseHandler(server: ClosableServer, options: { stopListeningAt?: 'stopAccepting' | 'cleanup' } = {}): ShutdownHandler {
  let closed: Promise<void> | undefined;
  const stopListening = () => {
    closed ??= new Promise<void>((resolve) => {
      // ERR_SERVER_NOT_RUNNING means it was already closed: nothing to wait for.
      server.close(() => resolve());
    });
    server.closeIdleConnections?.();
  };
  const handler: ShutdownHandler = {
    async cleanup(signal) {
      stopListening();
      const onAbort = () => server.closeAllConnections?.();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        // Connections that went idle since the first pass are closed now; busy ones finish their response.
        server.closeIdleConnections?.();
        await settleWithin(closed, signal);
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
  };
  if ((options.stopListeningAt ?? 'stopAccepting') === 'stopAccepting') handler.stopAccepting = () => stopListening();
  return handler;
}
