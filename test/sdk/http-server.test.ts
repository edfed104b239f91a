import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode, context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator, RPCType, getRPCMetadata } from '@opentelemetry/core';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type HistogramMetricData,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { instrumentHttpServers, type HttpServerInstrumentation } from '../../src/sdk/preload/http-server.js';

const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
const contextManager = new AsyncLocalStorageContextManager().enable();
let instrumentation: HttpServerInstrumentation;
let server: Server;
let port: number;
let handler: (req: IncomingMessage, res: ServerResponse) => void;

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function durationPoints() {
  await reader.forceFlush();
  const last = metricExporter.getMetrics().at(-1)!;
  const metric = last.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'http.server.request.duration') as
    HistogramMetricData | undefined;
  return metric?.dataPoints ?? [];
}

beforeAll(async () => {
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  instrumentation = instrumentHttpServers({ ignore: (req) => req.url === '/ignored' });
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  instrumentation.disable();
  trace.disable();
  metrics.disable();
  propagation.disable();
  context.disable();
});

beforeEach(() => spans.reset());

describe('the lean HTTP server instrumentation', () => {
  it('makes one SERVER span per request with the stable semantic-convention attributes', async () => {
    handler = (_req, res) => res.writeHead(200).end('ok');
    await get('/items/7?q=1&sig=secret', { 'user-agent': 'probe/1', 'x-forwarded-for': '203.0.113.9, 10.0.0.1' });
    const [span] = spans.getFinishedSpans();
    expect(span).toMatchObject({ name: 'GET', kind: SpanKind.SERVER });
    expect(span!.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'url.path': '/items/7',
      'url.query': 'q=1&sig=REDACTED',
      'server.address': '127.0.0.1',
      'server.port': port,
      'client.address': '203.0.113.9',
      'network.peer.address': '127.0.0.1',
      'network.protocol.version': '1.1',
      'user_agent.original': 'probe/1',
      'http.response.status_code': 200,
    });
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('reads the server and client from a Forwarded header and names an unknown method _OTHER, keeping the original', async () => {
    handler = (_req, res) => res.end('ok');
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/cache',
          method: 'PURGE',
          agent: false,
          headers: { forwarded: 'for="[2001:db8::1]:4711";host=example.com:8443;proto=https' },
        },
        (res) => res.resume().on('end', resolve),
      );
      req.on('error', reject);
      req.end();
    });
    const [span] = spans.getFinishedSpans();
    expect(span!.name).toBe('HTTP');
    expect(span!.attributes).toMatchObject({
      'http.request.method': '_OTHER',
      'http.request.method_original': 'PURGE',
      'server.address': 'example.com',
      'server.port': 8443,
      'client.address': '2001:db8::1',
    });
  });

  it('continues the caller trace from traceparent and runs the handler in the span context', async () => {
    let active: string | undefined;
    handler = (_req, res) => {
      active = trace.getActiveSpan()?.spanContext().spanId;
      res.end('ok');
    };
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    await get('/', { traceparent: `00-${traceId}-b7ad6b7169203331-01` });
    const [span] = spans.getFinishedSpans();
    expect(span!.spanContext().traceId).toBe(traceId);
    expect(span!.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(active).toBe(span!.spanContext().spanId);
  });

  it('runs listeners the application adds later in the request context, for body chunks the socket delivers later', async () => {
    const seen: (string | undefined)[] = [];
    handler = (req, res) => {
      // Listeners added in a later turn, as an application awaiting something first would.
      setImmediate(() => addListeners(req, res));
    };
    const addListeners = (req: IncomingMessage, res: ServerResponse) => {
      req.on('data', () => seen.push(trace.getActiveSpan()?.spanContext().spanId));
      req.once('end', () => {
        seen.push(trace.getActiveSpan()?.spanContext().spanId);
        res.end('done');
      });
    };
    const done = new Promise<void>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/upload', method: 'POST', agent: false }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.flushHeaders();
      // The body arrives after the handler has run: its events come from the socket, outside the handler.
      setTimeout(() => req.write('first'), 60);
      setTimeout(() => req.end('second'), 120);
    });
    await done;
    const [span] = spans.getFinishedSpans();
    const id = span!.spanContext().spanId;
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen).toEqual(seen.map(() => id));
  });

  it('names the span and the metric point after the route a framework sets, and marks a 5xx as an error', async () => {
    handler = (_req, res) => {
      const rpc = getRPCMetadata(context.active());
      if (rpc?.type === RPCType.HTTP) rpc.route = '/users/:id';
      res.writeHead(503).end();
    };
    await get('/users/42');
    const [span] = spans.getFinishedSpans();
    expect(span!.name).toBe('GET /users/:id');
    expect(span!.attributes['http.route']).toBe('/users/:id');
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    const point = (await durationPoints()).find((p) => p.attributes['http.route'] === '/users/:id');
    expect(point!.attributes).toEqual({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'network.protocol.version': '1.1',
      'http.response.status_code': 503,
      'http.route': '/users/:id',
      'error.type': '503',
    });
    expect(point!.value.count).toBe(1);
  });

  it('records http.server.request.duration in seconds per method and status', async () => {
    handler = (_req, res) => setTimeout(() => res.writeHead(201).end(), 20);
    await get('/slow');
    const point = (await durationPoints()).find((p) => p.attributes['http.response.status_code'] === 201);
    expect(point!.value.count).toBe(1);
    expect(point!.value.sum).toBeGreaterThanOrEqual(0.015);
    expect(point!.value.sum).toBeLessThan(5);
  });

  it('ends the span of a response whose connection closed before it finished, as an error', async () => {
    let closed!: () => void;
    const socketClosed = new Promise<void>((r) => (closed = r));
    handler = (req) => req.socket.on('close', () => setImmediate(closed));
    const req = httpRequest({ host: '127.0.0.1', port, path: '/abandoned', agent: false });
    req.on('error', () => undefined);
    req.end();
    await new Promise((r) => setTimeout(r, 50));
    req.destroy();
    await socketClosed;
    const [span] = spans.getFinishedSpans();
    expect(span!.attributes['url.path']).toBe('/abandoned');
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('leaves a request alone when another instrumentation around it already made its span', async () => {
    let active: string | undefined;
    handler = (_req, res) => {
      active = trace.getActiveSpan()?.spanContext().spanId;
      res.end('ok');
    };
    const outer = trace.getTracer('outer');
    const emit = server.emit.bind(server);
    // As instrumentation-http's patch of emit would, applied over ours: its span is active when ours runs.
    server.emit = ((event: string, ...args: unknown[]) => {
      if (event !== 'request') return emit(event, ...args);
      const span = outer.startSpan('outer', { kind: SpanKind.SERVER });
      try {
        return context.with(trace.setSpan(context.active(), span), () => emit(event, ...args));
      } finally {
        span.end();
      }
    }) as typeof server.emit;
    try {
      await get('/wrapped');
    } finally {
      delete (server as Partial<Server>).emit;
    }
    const finished = spans.getFinishedSpans();
    expect(finished.map((s) => s.name)).toEqual(['outer']);
    expect(active).toBe(finished[0]!.spanContext().spanId);
  });

  it('leaves ignored requests untraced', async () => {
    handler = (_req, res) => res.end('ok');
    await get('/ignored');
    expect(spans.getFinishedSpans()).toHaveLength(0);
  });
});
