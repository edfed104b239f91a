// The preload's lean instrumentation of incoming HTTP requests, in place of @opentelemetry/instrumentation-http's
// server side (its client side stays). Same span (kind SERVER, named `GET` or `GET /route`, the stable semantic
// conventions' attributes) and the same `http.server.request.duration` histogram, for much less per request:
// - one patch of `Server.prototype.emit` for `request` (a diagnostics_channel subscriber to
//   `http.server.request.start` runs beside the handler and cannot make it run in the span's context);
// - the span ends on the `http.server.response.finish` channel, so a finished response adds no listener; a
//   socket that closes first ends the spans of its unfinished responses (one listener per connection);
// - no `new URL()` per request, the propagator's `extract` only when one of its headers is present, the
//   remaining span attributes computed only for a recording span, metric attribute sets built once per shape and recorded into pre-bound cells;
// - no `context.bind` of `req` and `res` (eight methods patched on each, every listener wrapped): listeners an
//   application adds later still run in the request's context, through one patch of the `emit` of the two
//   prototypes, which runs the events of an instrumented request or response in its context.
// Only the global OTel API is used, so the spans and metrics go to whichever providers are registered: ours, or
// the application's own NodeSDK.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  metrics,
  propagation,
  trace,
  type Attributes,
  type Context,
  type Histogram,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { RPCType, getRPCMetadata, setRPCMetadata } from '@opentelemetry/core';
import { metricCells, type HistogramCell } from '../../telemetry/metric-cells.js';
import { HTTP_DURATION_BUCKETS, normalizeMethod, redactQuery } from './http-conventions.js';

const SCOPE = '@llmkg/production/http-server';
/** Distinct metric attribute sets kept built (method, scheme, version, status, route); more are built per record. */
const MAX_METRIC_SHAPES = 512;

const DURATION_NAME = 'http.server.request.duration';
const DURATION_DESCRIPTION = 'Duration of HTTP server requests.';

/** A metric attribute set and its pre-bound cell. */
interface MetricSeries {
  readonly attributes: Attributes;
  readonly cell: HistogramCell;
}

/** A request in flight: what its end needs. */
interface Exchange {
  readonly span: Span;
  readonly ctx: Context;
  readonly start: number;
  readonly method: string;
  readonly scheme: 'http' | 'https';
  readonly version: string;
  ended: boolean;
}

const EXCHANGE = Symbol('@llmkg/production.http.exchange');
const CONTEXT = Symbol('@llmkg/production.http.context');
const OPEN = Symbol('@llmkg/production.http.open');

type Emitter = NodeJS.EventEmitter & { [CONTEXT]?: Context };
type Listener = (...args: unknown[]) => unknown;

/** Options of {@link instrumentHttpServers}. */
export interface HttpServerInstrumentationOptions {
  /** Requests neither traced nor measured (the admin server's scrapes and probes). */
  readonly ignore?: (request: http.IncomingMessage) => boolean;
}

/** The installed instrumentation; `disable()` restores every patch and unsubscribes. */
export interface HttpServerInstrumentation {
  disable(): void;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `host[:port]` of a Host-like header; IPv6 literals keep their brackets off. */
function splitHost(host: string): { address: string; port: number | undefined } {
  const bracket = host.startsWith('[') ? host.indexOf(']') : -1;
  const colon = host.lastIndexOf(':');
  if (bracket > 0) {
    const port = colon > bracket ? Number(host.slice(colon + 1)) : undefined;
    return { address: host.slice(1, bracket), port: Number.isInteger(port) ? port : undefined };
  }
  if (colon < 0) return { address: host, port: undefined };
  const port = Number(host.slice(colon + 1));
  return { address: host.slice(0, colon), port: Number.isInteger(port) ? port : undefined };
}

/** A `for=` or `host=` entry of the first element of a `Forwarded` header (RFC 7239), unquoted. */
function forwardedEntry(header: string | undefined, name: 'for' | 'host'): string | undefined {
  if (header === undefined) return undefined;
  const match = new RegExp(`(?:^|[;,\\s])${name}=("[^"]*"|[^;,\\s]*)`, 'i').exec(header);
  return match?.[1]?.replace(/^"|"$/g, '') || undefined;
}

/** The span attributes of the request (stable HTTP semantic conventions, as instrumentation-http sets them). */
function requestAttributes(request: http.IncomingMessage, method: string, scheme: string): Attributes {
  const { headers, socket } = request;
  const target = request.url ?? '/';
  const q = target.indexOf('?');
  const attributes: Attributes = {
    'http.request.method': method,
    'url.scheme': scheme,
    'url.path': q < 0 ? target : target.slice(0, q),
    'network.peer.address': socket.remoteAddress,
    'network.peer.port': socket.remotePort,
    'network.protocol.version': request.httpVersion,
    'user_agent.original': headers['user-agent'],
  };
  if (q >= 0 && q < target.length - 1) attributes['url.query'] = redactQuery(target.slice(q + 1));
  if (method !== request.method && request.method !== undefined) attributes['http.request.method_original'] = request.method;
  const host = forwardedEntry(headers.forwarded, 'host') ?? first(headers['x-forwarded-host']) ?? headers.host;
  if (host) {
    const { address, port } = splitHost(host);
    attributes['server.address'] = address;
    if (port !== undefined) attributes['server.port'] = port;
  }
  const forwardedFor = forwardedEntry(headers.forwarded, 'for') ?? first(headers['x-forwarded-for'])?.split(',')[0]?.trim();
  const client = forwardedFor ? splitHost(forwardedFor).address : socket.remoteAddress;
  if (client) attributes['client.address'] = client;
  return attributes;
}

/**
 * Instruments every `http` and `https` server (see the module comment). Call once, before the application
 * starts its servers; a second call returns the instrumentation already installed.
 */
export function instrumentHttpServers(options: HttpServerInstrumentationOptions = {}): HttpServerInstrumentation {
  const tracer: Tracer = trace.getTracer(SCOPE);
  const duration: Histogram = metrics.getMeter(SCOPE).createHistogram(DURATION_NAME, {
    description: DURATION_DESCRIPTION,
    unit: 's',
    advice: { explicitBucketBoundaries: HTTP_DURATION_BUCKETS },
  });
  // The same histogram as pre-bound cells, exported by our readers' producer when they are the registered ones.
  const cells = metricCells().histogram({
    name: DURATION_NAME,
    unit: 's',
    description: DURATION_DESCRIPTION,
    scope: SCOPE,
    boundaries: HTTP_DURATION_BUCKETS,
  });
  const shapes = new Map<string, MetricSeries>();
  const ignore = options.ignore;
  // The registered propagator's header names, read again each second (its `fields()` copies an array per
  // call; a propagator registered after us, by an application's own NodeSDK, is picked up).
  let fields: readonly string[] = [];
  let fieldsUntil = 0;

  /** True when `headers` carry one of the propagator's fields: otherwise `extract` would find nothing. */
  function carriesContext(headers: http.IncomingHttpHeaders, now: number): boolean {
    if (now >= fieldsUntil) {
      fields = propagation.fields().map((field) => field.toLowerCase());
      fieldsUntil = now + 1000;
    }
    for (const field of fields) if (headers[field] !== undefined) return true;
    return false;
  }

  function metricSeries(exchange: Exchange, status: number, route: string | undefined, aborted: boolean): MetricSeries {
    const key = `${exchange.method} ${exchange.scheme} ${exchange.version} ${status} ${route ?? ''}${aborted ? ' aborted' : ''}`;
    let series = shapes.get(key);
    if (series !== undefined) return series;
    const attributes: Attributes = {
      'http.request.method': exchange.method,
      'url.scheme': exchange.scheme,
      'network.protocol.version': exchange.version,
      'http.response.status_code': status,
    };
    if (route !== undefined) attributes['http.route'] = route;
    if (aborted) attributes['error.type'] = 'aborted';
    else if (status >= 500) attributes['error.type'] = String(status);
    series = { attributes, cell: cells.cell(attributes) };
    if (shapes.size < MAX_METRIC_SHAPES) shapes.set(key, series);
    return series;
  }

  function end(exchange: Exchange, response: http.ServerResponse, aborted: boolean): void {
    if (exchange.ended) return;
    exchange.ended = true;
    const seconds = (performance.now() - exchange.start) / 1000;
    const status = response.statusCode;
    const rpc = getRPCMetadata(exchange.ctx);
    const route = rpc?.type === RPCType.HTTP ? rpc.route : undefined;
    const span = exchange.span;
    if (span.isRecording()) {
      span.setAttribute('http.response.status_code', status);
      if (route !== undefined) {
        span.setAttribute('http.route', route);
        span.updateName(`${exchange.method === '_OTHER' ? 'HTTP' : exchange.method} ${route}`);
      }
      if (aborted) span.setStatus({ code: SpanStatusCode.ERROR, message: 'the connection closed before the response finished' });
      else if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
    const series = metricSeries(exchange, status, route, aborted);
    if (cells.active) series.cell.record(seconds);
    else duration.record(seconds, series.attributes);
  }

  function onResponseFinish(message: unknown): void {
    const { request, response } = message as { request: http.IncomingMessage; response: http.ServerResponse & { [EXCHANGE]?: Exchange } };
    const exchange = response[EXCHANGE];
    if (exchange === undefined) return;
    end(exchange, response, false);
    const open = (request.socket as (Socket & { [OPEN]?: Set<http.ServerResponse> }) | null)?.[OPEN];
    open?.delete(response);
  }

  function onSocketClose(this: Socket & { [OPEN]?: Set<http.ServerResponse & { [EXCHANGE]?: Exchange }> }): void {
    for (const response of this[OPEN] ?? []) {
      const exchange = response[EXCHANGE];
      if (exchange !== undefined) end(exchange, response, true);
    }
    this[OPEN]?.clear();
  }

  function instrumentedEmit(original: (...args: unknown[]) => boolean, scheme: 'http' | 'https') {
    return function emit(this: http.Server, event: string | symbol, ...args: unknown[]): boolean {
      if (event !== 'request') return original.call(this, event, ...args);
      const request = args[0] as http.IncomingMessage & Emitter;
      const response = args[1] as http.ServerResponse & Emitter & { [EXCHANGE]?: Exchange };
      // Ignored, or another instrumentation (an application's own instrumentation-http, patched over ours)
      // already made the request's span: the handler runs in its context, untouched.
      if (ignore?.(request) || trace.getSpan(context.active()) !== undefined) return original.call(this, event, ...args);
      const method = normalizeMethod(request.method);
      const start = performance.now();
      const parent = carriesContext(request.headers, start) ? propagation.extract(ROOT_CONTEXT, request.headers) : ROOT_CONTEXT;
      const span = tracer.startSpan(
        method === '_OTHER' ? 'HTTP' : method,
        { kind: SpanKind.SERVER, attributes: requestAttributes(request, method, scheme) },
        parent,
      );
      const ctx = setRPCMetadata(trace.setSpan(parent, span), { type: RPCType.HTTP, span });
      const exchange: Exchange = { span, ctx, start, method, scheme, version: request.httpVersion, ended: false };
      response[EXCHANGE] = exchange;
      request[CONTEXT] = ctx;
      response[CONTEXT] = ctx;
      const socket = request.socket as (Socket & { [OPEN]?: Set<http.ServerResponse> }) | null;
      if (socket) {
        let open = socket[OPEN];
        if (open === undefined) {
          open = socket[OPEN] = new Set();
          socket.once('close', onSocketClose);
        }
        open.add(response);
      }
      try {
        return context.with(ctx, original, this, event, ...args);
      } catch (error) {
        if (span.isRecording()) {
          if (error instanceof Error) span.recordException(error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        }
        throw error;
      }
    };
  }

  const restores: (() => void)[] = [];
  function patch<T extends object>(target: T, name: string, make: (original: Listener) => Listener): void {
    const holder = target as Record<string, unknown>;
    const had = Object.prototype.hasOwnProperty.call(target, name);
    const original = holder[name] as Listener;
    holder[name] = make(original);
    restores.push(() => {
      if (had) holder[name] = original;
      else delete holder[name];
    });
  }

  patch(http.Server.prototype, 'emit', (original) => instrumentedEmit(original as never, 'http') as Listener);
  patch(https.Server.prototype, 'emit', (original) => instrumentedEmit(original as never, 'https') as Listener);
  // The events of an instrumented request or response are emitted in its context, so every listener, added
  // now or later (once and prepend included), sees it; other emitters pass straight through.
  for (const proto of [http.IncomingMessage.prototype, http.ServerResponse.prototype]) {
    patch(
      proto,
      'emit',
      (original) =>
        function (this: Emitter, ...args: unknown[]): unknown {
          const ctx = this[CONTEXT];
          return ctx === undefined ? Reflect.apply(original, this, args) : context.with(ctx, original, this, ...args);
        },
    );
  }
  subscribe('http.server.response.finish', onResponseFinish);

  return {
    disable() {
      unsubscribe('http.server.response.finish', onResponseFinish);
      for (const restore of restores.reverse()) restore();
      restores.length = 0;
    },
  };
}
