import { hasSubscribers } from 'node:diagnostics_channel';
import { SpanKind, SpanStatusCode, context, propagation, trace, type Attributes, type Span, type TextMapSetter } from '@opentelemetry/api';
import type { Criticality } from '../errors.js';
import type { OperationContext } from '../pipeline.js';
import type { ProtectedOperationOptions } from '../system.js';
import { getTracer } from '../telemetry/api.js';
import { errorType } from '../telemetry/pipeline-telemetry.js';
import { RESEND_COUNT_ATTRIBUTE, withResendCount } from './resend.js';

/**
 * Statuses that fail an attempt by default: the dependency refused (408, 429, 503) or failed (500, 502, 504)
 * the request. They are retried (Retry-After honoured), count as breaker failures, and 429 and 503 count as
 * refusals for the retry budget and the client-side throttle. Any other status is an answer, returned as is.
 */
export const DEFAULT_FAILURE_STATUSES: readonly number[] = [408, 429, 500, 502, 503, 504];

/** Methods that may be sent twice (RFC 9110 9.2.2); a request with another method is never retried unless it says so. */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
/** The methods `http.request.method` names as they are; any other is `_OTHER` (semantic conventions). */
const KNOWN_METHODS = new Set([...IDEMPOTENT_METHODS, 'POST', 'PATCH', 'CONNECT']);

/** The channel every undici (Node's `fetch` included) publishes a new request on; an instrumentation listens there. */
const UNDICI_REQUEST_CREATE = 'undici:request:create';

/**
 * An attempt answered with a failure status (see {@link DEFAULT_FAILURE_STATUSES}). Retry, breaker, throttle
 * and their hooks (`retryOn`, `failureOn`, `accepted`) see it; the caller never does: when no attempt is left,
 * the protected client resolves with its `response`, as `fetch` would have.
 */
export class DependencyResponseError extends Error {
  /** The HTTP status. */
  readonly status: number;
  constructor(
    /** The named dependency. */
    readonly dependency: string,
    /** The failed attempt's response, its body unread. */
    readonly response: Response,
  ) {
    super(`${dependency} answered ${response.status}`);
    this.name = 'DependencyResponseError';
    this.status = response.status;
  }
}

/** `RequestInit` plus the protected call's own options; they are not passed on to `fetch`. */
export interface DependencyRequestInit extends RequestInit {
  /** Time the whole call may take, retries and waits included (an earlier deadline in context wins). */
  deadlineMs?: number;
  /** The call's class under overload; it travels in the outgoing baggage as `criticality`. */
  criticality?: Criticality;
  /** True to allow retries of a method that is not idempotent (POST, PATCH); false to forbid them for any. A streamed body is never sent twice. */
  idempotent?: boolean;
  /** Correlation ID of the call (else the baggage's, else the trace ID). */
  correlationId?: string;
}

/** A `fetch`-compatible function that protects every request to one named dependency. */
export type DependencyFetch = (input: string | URL | Request, init?: DependencyRequestInit) => Promise<Response>;

/** Options of `system.dependencyFetch(name, options)`. */
export interface DependencyFetchOptions {
  /** The protected operation's name (its breaker, retry, timeout and rate limit); default the dependency's name. */
  readonly operation?: string;
  /** The `fetch` to send with (e.g. undici's, to pass a `dispatcher` in `init`); default `globalThis.fetch`. */
  readonly fetch?: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  /** Statuses that fail an attempt; default {@link DEFAULT_FAILURE_STATUSES}. */
  readonly failureStatuses?: readonly number[];
}

/** What the protected client needs of the system. */
export interface DependencyFetchHost {
  /** Runs one request's attempts as a protected operation (`ProductionSystem.executeProtectedOperation`). */
  executeProtectedOperation<T>(
    operationName: string,
    userId: string | undefined,
    operation: (ctx: OperationContext) => Promise<T>,
    options?: ProtectedOperationOptions,
  ): Promise<T>;
}

const headerSetter: TextMapSetter<Headers> = { set: (carrier, key, value) => carrier.set(key, value) };

function methodOf(input: string | URL | Request, init: RequestInit | undefined): string {
  return (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
}

/** A body that can be sent twice: none, or one held in memory (a stream is read once). */
function replayable(input: string | URL | Request, init: RequestInit | undefined): boolean {
  const body = init?.body ?? (input instanceof Request ? input.body : null);
  return body === null || body === undefined || !(body instanceof ReadableStream || isAsyncIterable(body));
}

function isAsyncIterable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value && !(value instanceof Blob);
}

function urlOf(input: string | URL | Request): URL | undefined {
  try {
    return new URL(input instanceof Request ? input.url : input);
  } catch {
    return undefined;
  }
}

/** The client span's attributes at start (semantic conventions, stable HTTP client set); no credentials in `url.full`. */
function clientAttributes(method: string, url: URL | undefined, resendCount: number): Attributes {
  const attributes: Attributes = { 'http.request.method': KNOWN_METHODS.has(method) ? method : '_OTHER' };
  if (url !== undefined) {
    const safe = new URL(url);
    safe.username = '';
    safe.password = '';
    attributes['url.full'] = safe.href;
    attributes['server.address'] = url.hostname;
    attributes['server.port'] = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  }
  if (resendCount > 0) attributes[RESEND_COUNT_ATTRIBUTE] = resendCount;
  return attributes;
}

function endClientSpan(span: Span, response: Response | undefined, error: unknown): void {
  if (response !== undefined) {
    span.setAttribute('http.response.status_code', response.status);
    if (response.status >= 400) {
      span.setAttribute('error.type', String(response.status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  } else {
    span.setAttribute('error.type', errorType(error));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

/**
 * Sends one attempt. When an undici instrumentation listens (the preload's), it makes the client span and
 * writes the propagation headers, and reads the resend count from the context; else this makes the span and
 * writes the headers itself. Either way one span per attempt, never two.
 */
function send(
  fetchImpl: NonNullable<DependencyFetchOptions['fetch']>,
  input: string | URL | Request,
  init: RequestInit,
  resendCount: number,
): Promise<Response> {
  // Not an async function: on the common path (an instrumentation listens) the fetch's own promise is
  // returned, one promise hop fewer per attempt (each one is taxed by the context manager on Node 20).
  if (hasSubscribers(UNDICI_REQUEST_CREATE)) {
    if (resendCount === 0) return fetchImpl(input, init);
    return context.with(withResendCount(context.active(), resendCount), fetchImpl, undefined, input, init);
  }
  return sendWithSpan(fetchImpl, input, init, resendCount);
}

/** {@link send} when no undici instrumentation listens: the client span and the propagation headers made here. */
async function sendWithSpan(
  fetchImpl: NonNullable<DependencyFetchOptions['fetch']>,
  input: string | URL | Request,
  init: RequestInit,
  resendCount: number,
): Promise<Response> {
  const active = context.active();
  const method = methodOf(input, init);
  const span = getTracer().startSpan(
    KNOWN_METHODS.has(method) ? method : 'HTTP',
    { kind: SpanKind.CLIENT, attributes: clientAttributes(method, urlOf(input), resendCount) },
    active,
  );
  const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
  propagation.inject(trace.setSpan(active, span), headers, headerSetter);
  let response: Response | undefined;
  try {
    response = await fetchImpl(input, { ...init, headers });
    return response;
  } catch (error) {
    endClientSpan(span, undefined, error);
    throw error;
  } finally {
    if (response !== undefined) endClientSpan(span, response, undefined);
  }
}

/**
 * The protected client of one named dependency: each request is one protected operation (`operation`, whose
 * `dependency` is this one), so the operation's breaker, retry (with the dependency's retry budget and the
 * response's `Retry-After`), per-attempt timeout cut to the call's deadline, and the dependency's client-side
 * throttle apply; each attempt is one client span (`http.request.resend_count` on resends). Resolves with the
 * response (the last failed one when no attempt is left); rejects with the layer's typed errors
 * (CIRCUIT_OPEN, THROTTLED, DEADLINE_EXCEEDED, ...) or `fetch`'s own.
 */
export function createDependencyFetch(
  host: DependencyFetchHost,
  dependency: string,
  operation: string,
  options: DependencyFetchOptions = {},
): DependencyFetch {
  // globalThis.fetch read per request, not once: a fetch patched or replaced later (a test's, a polyfill's) is used.
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const failures = new Set(options.failureStatuses ?? DEFAULT_FAILURE_STATUSES);
  return async (input, init) => {
    const { deadlineMs, criticality, idempotent, correlationId, ...request } = init ?? {};
    let failed: Response | undefined;
    const attempt = async (ctx: OperationContext): Promise<Response> => {
      // A failed attempt's body is not read: cancelling it frees the connection for the next.
      if (failed !== undefined) void failed.body?.cancel().catch(() => undefined);
      failed = undefined;
      // The attempt's signal only when something can fire it: a Request that follows a signal costs ~25 µs
      // more on Node 20 (undici 6: a WeakRef, a FinalizationRegistry entry, an abort listener), ~4 on Node 24.
      const init = ctx.abortable === false ? request : { ...request, signal: ctx.signal };
      const response = await send(fetchImpl, input, init, ctx.attempt - 1);
      if (!failures.has(response.status)) return response;
      failed = response;
      throw new DependencyResponseError(dependency, response);
    };
    // A streamed body (a Request's included) is read once: such a request is never sent twice.
    const repeatable = replayable(input, request) && (idempotent ?? IDEMPOTENT_METHODS.has(methodOf(input, request)));
    const callOptions: ProtectedOperationOptions = { idempotent: repeatable };
    if (request.signal) callOptions.signal = request.signal;
    if (deadlineMs !== undefined) callOptions.deadlineMs = deadlineMs;
    if (criticality !== undefined) callOptions.criticality = criticality;
    if (correlationId !== undefined) callOptions.correlationId = correlationId;
    try {
      return await host.executeProtectedOperation(operation, undefined, attempt, callOptions);
    } catch (error) {
      if (error instanceof DependencyResponseError && error.response === failed) return error.response;
      throw error;
    }
  };
}
