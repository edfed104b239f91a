import { metrics, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { onAbort, settleWithin } from '../internal/time.js';
import type { ShutdownHandler } from './handler.js';
import { ConnectionDrain, isDrainable } from './server-drain.js';

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
  /** The providers to flush; default the registered OTel providers at shutdown time. */
  providers?: () => readonly FlushableProvider[];
  /** Also `shutdown()` them after the flush (default true): the process is about to end. */
  shutdownProviders?: boolean;
}

async function callAll(providers: readonly FlushableProvider[], method: 'forceFlush' | 'shutdown', signal: AbortSignal): Promise<void> {
  const calls = providers.flatMap((p) => (typeof p[method] === 'function' ? [p[method]()] : []));
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
      let failure: { error: unknown } | undefined;
      await callAll(list, 'forceFlush', signal).catch((error: unknown) => (failure ??= { error }));
      if (shutdown && !signal.aborted) await callAll(list, 'shutdown', signal).catch((error: unknown) => (failure ??= { error }));
      if (failure !== undefined) throw failure.error;
    },
  };
}

/** The steps a {@link createCleanupHandler} callback can run in. */
export type CleanupStep = 'initiate' | 'stopAccepting' | 'cleanup';

/**
 * A handler that runs `close` in one step (default CleanupResources): stop background timers, close a
 * connection pool, mark health not-ready (`step: 'initiate'`), stop a server (`step: 'stopAccepting'`).
 */
export function createCleanupHandler(
  close: (signal: AbortSignal) => Promise<void> | void,
  options: { step?: CleanupStep } = {},
): ShutdownHandler {
  const step = options.step ?? 'cleanup';
  return { [step]: (signal: AbortSignal) => close(signal) };
}

/** The part of `http.Server` (or `https`, `http2`) that {@link createServerCloseHandler} uses. */
export interface ClosableServer {
  close(callback?: (error?: Error) => void): unknown;
  closeIdleConnections?(): void;
  closeAllConnections?(): void;
}

/** Options of {@link createServerCloseHandler}. */
export interface ServerCloseOptions {
  /**
   * When the server stops listening: at StopAcceptingRequests (default), or at CleanupResources to keep
   * answering (typically 503 `SHUTTING_DOWN`, with `Connection: close`) while requests drain.
   */
  stopListeningAt?: 'stopAccepting' | 'cleanup';
}

/**
 * Stops listening without closing idle keep-alive connections: node's `close()` closes them at once
 * (since node 19), racing a client that is sending its next request on one, which then gets ECONNRESET.
 */
function closeListener(server: ClosableServer, done: () => void): void {
  const target = server as { closeIdleConnections?: () => void };
  const own = Object.prototype.hasOwnProperty.call(target, 'closeIdleConnections');
  const saved = target.closeIdleConnections;
  target.closeIdleConnections = () => undefined;
  try {
    // ERR_SERVER_NOT_RUNNING means it was already closed: nothing to wait for.
    server.close(() => done());
  } finally {
    if (own) target.closeIdleConnections = saved;
    else delete target.closeIdleConnections;
  }
}

/**
 * Stops a server without resetting a keep-alive client. For node's http and https servers:
 * - from InitiateShutdown on, every response carries `Connection: close` (also those in flight that have not
 *   written their headers), so clients open no further request on their connection;
 * - at StopAcceptingRequests (or CleanupResources with `stopListeningAt: 'cleanup'`) it stops listening but
 *   leaves open connections alone: a request that arrives on one is answered, with `Connection: close`;
 * - at CleanupResources it closes the connections with no request in flight (and each busy one once its
 *   response is flushed), waits for the rest and, at the step's deadline, closes them all.
 * For other servers (http2, anything with `close()`), it stops listening, closes idle connections where it
 * can, and at the deadline closes all of them.
 */
export function createServerCloseHandler(server: ClosableServer, options: ServerCloseOptions = {}): ShutdownHandler {
  // Tracking starts now: create the handler before the server takes connections, or those already open are
  // closed by node's own idle tracking at CleanupResources instead.
  const drain = isDrainable(server) ? new ConnectionDrain(server) : undefined;
  let closed: Promise<void> | undefined;
  const stopListening = (): void => {
    drain?.start();
    if (drain === undefined) {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
      });
      server.closeIdleConnections?.();
      return;
    }
    closed ??= new Promise<void>((resolve) => closeListener(server, resolve));
  };
  const handler: ShutdownHandler = {
    initiate: () => drain?.start(),
    async cleanup(signal) {
      stopListening();
      // At the step's deadline every connection goes, busy or not.
      const deadline = onAbort(signal, () => {
        drain?.closeAll();
        server.closeAllConnections?.();
      });
      try {
        // Connections idle now are closed; busy ones finish their response first.
        if (drain) {
          drain.closeIdle();
          // Connections opened before this handler existed are unknown to the drain; node's own tracking
          // closes them, but only when no response is under way (it would cut one flushed only in part).
          if (drain.inFlight === 0) server.closeIdleConnections?.();
        } else {
          server.closeIdleConnections?.();
        }
        await settleWithin(closed, signal);
      } finally {
        deadline.release();
      }
    },
  };
  if ((options.stopListeningAt ?? 'stopAccepting') === 'stopAccepting') handler.stopAccepting = () => stopListening();
  return handler;
}
