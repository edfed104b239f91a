// The preload's lean instrumentation of outgoing undici requests (Node's `fetch` included), in place of
// @opentelemetry/instrumentation-undici. Same client span (kind CLIENT, named `GET`, the stable semantic
// conventions' attributes, `http.request.resend_count` on a protected client's resend) and the same
// `http.client.request.duration` histogram, for less per request:
// - three of undici's diagnostics channels (create, headers, trailers, plus error), not `client:sendHeaders`:
//   no `network.peer.*` attributes, which would cost a listener call per request for the socket's address;
// - no `new URL()` per request: `server.address`, `server.port` and `url.scheme` are read from the request's
//   origin once per origin (a bounded cache), `url.full` is the origin plus the path;
// - the propagator writes `traceparent`, `baggage` and `production-deadline-ms` straight into the request
//   (`addHeader`), without an object of headers in between;
// - the exchange rides on the request (a symbol property), not in a WeakMap; the metric's attribute sets are
//   built once per shape.
// It steps aside, request by request, when an @opentelemetry/instrumentation-undici is subscribed too (an
// application's own, or `undiciInstrumentation()`), and when the request already carries a trace header (an
// instrumentation that ran before ours, or a caller that propagates by hand): one span per request, never two.
import { channel, subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  SpanKind,
  SpanStatusCode,
  context,
  diag,
  metrics,
  propagation,
  trace,
  type Attributes,
  type Histogram,
  type MeterProvider,
  type Span,
  type TextMapSetter,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { RESEND_COUNT_ATTRIBUTE, resendCountOf } from '../../outgoing/resend.js';
import { HTTP_DURATION_BUCKETS, SIGNED_QUERY, normalizeMethod, redactQuery } from './http-conventions.js';

/** The instrumentation scope of the lean undici client instrumentation. */
export const UNDICI_CLIENT_SCOPE = '@llmkg/production/undici-client';
/** Distinct origins and metric attribute sets kept parsed/built; more are computed per request. */
const MAX_ORIGINS = 256;
const MAX_METRIC_SHAPES = 512;
/** Headers that mean a trace context was written already (W3C, B3 single and multi, Jaeger). */
const TRACE_HEADERS = new Set(['traceparent', 'b3', 'x-b3-traceid', 'uber-trace-id']);
/** The name of the subscriber @opentelemetry/instrumentation-undici puts on `undici:request:create`. */
const OFFICIAL_SUBSCRIBER = 'bound onRequestCreated';
const EXCHANGE = Symbol('@llmkg/production.undici.exchange');

/** The parts of undici's request object (v6 and v7, npm's or Node's bundled one) this reads. */
interface UndiciRequest {
  readonly origin?: unknown;
  readonly path?: string;
  readonly method?: string;
  headers?: unknown;
  addHeader?: (name: string, value: string) => unknown;
  [EXCHANGE]?: Exchange;
}

/** What the request's origin gives, parsed once per origin. */
interface Origin {
  /** The origin without a trailing slash, which `url.full` starts with. */
  readonly prefix: string;
  readonly scheme: string;
  readonly address: string;
  readonly port: number | undefined;
}

/** A request in flight: what its end needs. */
interface Exchange {
  readonly span: Span;
  readonly start: number;
  readonly method: string;
  readonly origin: Origin;
  status: number | undefined;
}

/** Options of {@link instrumentUndiciRequests}; the providers default to the globally registered ones. */
export interface UndiciClientInstrumentationOptions {
  readonly tracerProvider?: TracerProvider;
  readonly meterProvider?: MeterProvider;
}

/** The installed instrumentation; `disable()` unsubscribes (requests in flight end their spans unrecorded). */
export interface UndiciClientInstrumentation {
  disable(): void;
}

/** `scheme://host[:port]` split without a URL parse (undici's origin is always that, a URL object's included). */
function parseOrigin(origin: string): Origin {
  const sep = origin.indexOf('://');
  const scheme = sep < 0 ? 'http' : origin.slice(0, sep).toLowerCase();
  const authority = sep < 0 ? origin : origin.slice(sep + 3).replace(/\/.*$/, '');
  const bracket = authority.startsWith('[') ? authority.indexOf(']') : -1;
  const colon = authority.lastIndexOf(':');
  const hasPort = colon > bracket && colon >= 0;
  const host = hasPort ? authority.slice(0, colon) : authority;
  const explicit = hasPort ? Number(authority.slice(colon + 1)) : NaN;
  const port = Number.isInteger(explicit) ? explicit : scheme === 'https' ? 443 : scheme === 'http' ? 80 : undefined;
  return { prefix: origin.replace(/\/$/, ''), scheme, address: bracket > 0 ? host.slice(1, -1) : host, port };
}

const headerSetter: TextMapSetter<UndiciRequest> = {
  set(request, key, value) {
    if (typeof request.addHeader === 'function') request.addHeader(key, value);
    else if (Array.isArray(request.headers)) request.headers.push(key, value);
    else if (typeof request.headers === 'string') request.headers += `${key}: ${value}\r\n`;
  },
};

/** The request's `user-agent`, and whether a trace header is there already (headers as undici v6+ keep them). */
function scanHeaders(headers: unknown): { userAgent: string | undefined; traced: boolean } {
  let userAgent: string | undefined;
  let traced = false;
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] as unknown;
      if (typeof name !== 'string') continue;
      const lower = name.toLowerCase();
      if (lower === 'user-agent') userAgent = String(headers[i + 1] as unknown);
      else if (TRACE_HEADERS.has(lower)) traced = true;
    }
  }
  return { userAgent, traced };
}

/** `url` with the values of credential-carrying query parameters replaced by `REDACTED`. */
function redactSigned(url: string): string {
  const q = url.indexOf('?');
  if (q < 0 || !SIGNED_QUERY.test(url)) return url;
  return `${url.slice(0, q + 1)}${redactQuery(url.slice(q + 1))}`;
}

/** True when an @opentelemetry/instrumentation-undici listens on `subscribers` (Node's internal list; see below). */
function officialAmong(subscribers: unknown): boolean {
  return Array.isArray(subscribers) && subscribers.some((fn: unknown) => typeof fn === 'function' && fn.name === OFFICIAL_SUBSCRIBER);
}

/**
 * Instruments every undici request of the process (see the module comment). Call once the providers are
 * registered; a second instance would step aside for nothing and make a second span: keep one.
 */
export function instrumentUndiciRequests(options: UndiciClientInstrumentationOptions = {}): UndiciClientInstrumentation {
  const tracer: Tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(UNDICI_CLIENT_SCOPE);
  // Taken at the first request's end, not now: the metrics API has no proxy, and a NodeSDK enables its
  // instrumentations before it registers its MeterProvider.
  let duration: Histogram | undefined;
  const histogram = (): Histogram =>
    (duration ??= (options.meterProvider ?? metrics.getMeterProvider())
      .getMeter(UNDICI_CLIENT_SCOPE)
      .createHistogram('http.client.request.duration', {
        description: 'Duration of HTTP client requests.',
        unit: 's',
        advice: { explicitBucketBoundaries: HTTP_DURATION_BUCKETS },
      }));
  const origins = new Map<string, Origin>();
  const shapes = new Map<string, Attributes>();
  // Node keeps a channel's subscribers in `_subscribers`, a new array on each (un)subscribe, so comparing the
  // array we last looked at is enough to know whether to look again. Without it (another runtime), the
  // trace-header check below still keeps a request from getting two spans when the other one ran first.
  const createChannel = channel('undici:request:create') as unknown as { _subscribers?: unknown };
  let subscribersSeen: unknown;
  let officialListens = false;

  function originOf(raw: unknown): Origin {
    const key = String(raw);
    let origin = origins.get(key);
    if (origin === undefined) {
      origin = parseOrigin(key);
      if (origins.size < MAX_ORIGINS) origins.set(key, origin);
    }
    return origin;
  }

  function onCreate(message: unknown): void {
    const request = (message as { request?: UndiciRequest }).request;
    if (request === undefined || request.method === 'CONNECT' || request[EXCHANGE] !== undefined) return;
    const subscribers = createChannel._subscribers;
    if (subscribers !== subscribersSeen) {
      subscribersSeen = subscribers;
      officialListens = officialAmong(subscribers);
    }
    if (officialListens) return;
    const { userAgent, traced } = scanHeaders(request.headers);
    if (traced) return;
    const start = performance.now();
    const method = normalizeMethod(request.method);
    const origin = originOf(request.origin);
    const path = request.path ?? '/';
    const full = redactSigned(`${origin.prefix}${path.startsWith('/') ? path : `/${path}`}`);
    const attributes: Attributes = {
      'http.request.method': method,
      'url.full': full,
      'url.scheme': origin.scheme,
      'server.address': origin.address,
    };
    if (origin.port !== undefined) attributes['server.port'] = origin.port;
    if (method !== request.method && request.method !== undefined) attributes['http.request.method_original'] = request.method;
    if (userAgent !== undefined) attributes['user_agent.original'] = userAgent;
    const active = context.active();
    const resends = resendCountOf(active);
    if (resends !== undefined) attributes[RESEND_COUNT_ATTRIBUTE] = resends;
    const span = tracer.startSpan(method === '_OTHER' ? 'HTTP' : method, { kind: SpanKind.CLIENT, attributes }, active);
    // Kept before the headers are written: should the propagator throw, the span still ends with the request.
    request[EXCHANGE] = { span, start, method, origin, status: undefined };
    propagation.inject(trace.setSpan(active, span), request, headerSetter);
  }

  function onHeaders(message: unknown): void {
    const { request, response } = message as { request?: UndiciRequest; response?: { statusCode?: number } };
    const exchange = request?.[EXCHANGE];
    const status = response?.statusCode;
    if (exchange === undefined || typeof status !== 'number') return;
    exchange.status = status;
    exchange.span.setAttribute('http.response.status_code', status);
    if (status >= 400) {
      exchange.span.setAttribute('error.type', String(status));
      exchange.span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }

  function metricAttributes(exchange: Exchange, errorType: string | undefined): Attributes {
    const { method, origin, status } = exchange;
    const type = errorType ?? (status !== undefined && status >= 400 ? String(status) : undefined);
    const key = `${method} ${origin.scheme} ${origin.address} ${origin.port ?? ''} ${status ?? ''} ${type ?? ''}`;
    let attributes = shapes.get(key);
    if (attributes !== undefined) return attributes;
    attributes = { 'http.request.method': method, 'url.scheme': origin.scheme, 'server.address': origin.address };
    if (origin.port !== undefined) attributes['server.port'] = origin.port;
    if (status !== undefined) attributes['http.response.status_code'] = status;
    if (type !== undefined) attributes['error.type'] = type;
    if (shapes.size < MAX_METRIC_SHAPES) shapes.set(key, attributes);
    return attributes;
  }

  function end(request: UndiciRequest, exchange: Exchange, errorType: string | undefined): void {
    request[EXCHANGE] = undefined;
    exchange.span.end();
    histogram().record((performance.now() - exchange.start) / 1000, metricAttributes(exchange, errorType));
  }

  function onTrailers(message: unknown): void {
    const request = (message as { request?: UndiciRequest }).request;
    const exchange = request?.[EXCHANGE];
    if (request !== undefined && exchange !== undefined) end(request, exchange, undefined);
  }

  function onError(message: unknown): void {
    const { request, error } = message as { request?: UndiciRequest; error?: unknown };
    const exchange = request?.[EXCHANGE];
    if (request === undefined || exchange === undefined) return;
    const failure = error instanceof Error ? (error as Error & { code?: string | number }) : undefined;
    // A request the caller aborted is not an error (semantic conventions): no error.type, status unset.
    if (failure?.name === 'AbortError') return end(request, exchange, undefined);
    const type = typeof failure?.code === 'string' && failure.code !== '' ? failure.code : failure?.name || 'Error';
    exchange.span.setAttribute('error.type', type);
    if (failure !== undefined) exchange.span.recordException(failure);
    exchange.span.setStatus({ code: SpanStatusCode.ERROR, ...(failure !== undefined ? { message: failure.message } : {}) });
    end(request, exchange, type);
  }

  const subscriptions: [string, (message: unknown) => void][] = [
    ['undici:request:create', onCreate],
    ['undici:request:headers', onHeaders],
    ['undici:request:trailers', onTrailers],
    ['undici:request:error', onError],
  ];
  // A subscriber that throws has its error rethrown by Node as an uncaught exception: none of ours may.
  const guarded = subscriptions.map(([name, listener]): [string, (message: unknown) => void] => [
    name,
    (message) => {
      try {
        listener(message);
      } catch (error) {
        diag.error(`${UNDICI_CLIENT_SCOPE}: ${name} failed`, error);
      }
    },
  ]);
  for (const [name, listener] of guarded) subscribe(name, listener);
  return {
    disable() {
      for (const [name, listener] of guarded.splice(0)) unsubscribe(name, listener);
    },
  };
}
