import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode, context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type HistogramMetricData,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { withDeadline } from '../../src/deadlines/context.js';
import { withResendCount } from '../../src/outgoing/resend.js';
import { instrumentUndiciRequests, UNDICI_CLIENT_SCOPE, type UndiciClientInstrumentation } from '../../src/sdk/preload/undici-client.js';
import { productionPropagator } from '../../src/sdk/propagator.js';

// The preload's lean undici instrumentation against a real node:http server, with Node's own fetch.
const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
const contextManager = new AsyncLocalStorageContextManager().enable();
const seen: IncomingHttpHeaders[] = [];
let handler: (req: IncomingMessage, res: ServerResponse) => void;
let instrumentation: UndiciClientInstrumentation;
let server: Server;
let origin: string;
let port: number;

function clientSpans() {
  return spans.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
}

async function durationPoints() {
  await reader.forceFlush();
  const last = metricExporter.getMetrics().at(-1)!;
  const metric = last.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'http.client.request.duration') as
    HistogramMetricData | undefined;
  return metric?.dataPoints ?? [];
}

/** A port nothing listens on (taken from the OS, then released). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const free = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return free;
}

beforeAll(async () => {
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(productionPropagator());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  instrumentation = instrumentUndiciRequests();
  server = createServer((req, res) => {
    seen.push(req.headers);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  instrumentation.disable();
  await new Promise((resolve) => server.close(resolve));
  trace.disable();
  metrics.disable();
  propagation.disable();
  context.disable();
});

beforeEach(() => {
  spans.reset();
  seen.length = 0;
  handler = (_req, res) => res.end('ok');
});

describe('the lean undici client instrumentation (Node fetch, real server)', () => {
  it('makes one CLIENT span per fetch with the semantic-convention attributes, and records http.client.request.duration', async () => {
    const response = await fetch(`${origin}/items/7?q=1&sig=secret`, { headers: { 'user-agent': 'probe/1' } });
    expect(await response.text()).toBe('ok');
    const [span, ...others] = clientSpans();
    expect(others).toEqual([]);
    expect(span).toMatchObject({ name: 'GET', kind: SpanKind.CLIENT });
    expect(span!.instrumentationScope.name).toBe(UNDICI_CLIENT_SCOPE);
    expect(span!.attributes).toEqual({
      'http.request.method': 'GET',
      'url.full': `${origin}/items/7?q=1&sig=REDACTED`,
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': port,
      'user_agent.original': 'probe/1',
      'http.response.status_code': 200,
    });
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    const point = (await durationPoints()).find((p) => p.attributes['http.response.status_code'] === 200);
    expect(point?.attributes).toEqual({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': port,
      'http.response.status_code': 200,
    });
    expect(point?.value.count).toBeGreaterThanOrEqual(1);
  });

  it('writes traceparent (the client span as parent) and production-deadline-ms (the time left) into the request', async () => {
    const parent = trace.getTracer('test').startSpan('parent');
    const ctx = withDeadline(trace.setSpan(context.active(), parent), performance.now() + 2000);
    await (await context.with(ctx, () => fetch(`${origin}/x`))).text();
    parent.end();
    const [span] = clientSpans();
    expect(span!.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(seen[0]!.traceparent).toBe(`00-${parent.spanContext().traceId}-${span!.spanContext().spanId}-01`);
    const left = Number(seen[0]!['production-deadline-ms']);
    expect(left).toBeGreaterThan(1000);
    expect(left).toBeLessThanOrEqual(2000);
  });

  it('a resend of the protected client carries http.request.resend_count; a first send none', async () => {
    await (await fetch(`${origin}/first`)).text();
    await (await context.with(withResendCount(context.active(), 2), () => fetch(`${origin}/again`))).text();
    const [first, resend] = clientSpans();
    expect(first!.attributes['http.request.resend_count']).toBeUndefined();
    expect(resend!.attributes['http.request.resend_count']).toBe(2);
  });

  it('an error status: error.type is the status and the span status ERROR', async () => {
    handler = (_req, res) => res.writeHead(503).end('busy');
    const response = await fetch(`${origin}/busy`, { method: 'post', body: 'x' });
    expect(response.status).toBe(503);
    await response.text();
    const [span] = clientSpans();
    expect(span).toMatchObject({ name: 'POST', status: { code: SpanStatusCode.ERROR } });
    expect(span!.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.response.status_code': 503, 'error.type': '503' });
  });

  it('a connection refused: the span ends with error.type ECONNREFUSED, the exception and status ERROR', async () => {
    const free = await closedPort();
    await expect(fetch(`http://127.0.0.1:${free}/`)).rejects.toThrow('fetch failed');
    const [span] = clientSpans();
    expect(span!.attributes).toMatchObject({ 'server.port': free, 'error.type': 'ECONNREFUSED' });
    expect(span!.attributes['http.response.status_code']).toBeUndefined();
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.events.map((e) => e.name)).toEqual(['exception']);
    const failed = (await durationPoints()).find((p) => p.attributes['error.type'] === 'ECONNREFUSED');
    expect(failed?.attributes['server.port']).toBe(free);
  });

  it('a request the caller aborts ends its span without error.type (not an error, per the semantic conventions)', async () => {
    let release: () => void = () => undefined;
    handler = (_req, res) => {
      release = () => res.end('late');
    };
    const controller = new AbortController();
    const pending = fetch(`${origin}/slow`, { signal: controller.signal });
    while (seen.length === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await expect(pending).rejects.toThrow();
    release();
    const [span] = clientSpans();
    expect(span!.attributes['error.type']).toBeUndefined();
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('a request that carries traceparent already (propagated by hand, or by an instrumentation before ours) gets no second span', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await (await fetch(`${origin}/own`, { headers: { traceparent } })).text();
    expect(clientSpans()).toEqual([]);
    expect(seen[0]!.traceparent).toBe(traceparent);
  });

  it('steps aside while an @opentelemetry/instrumentation-undici is subscribed: one span, one traceparent; back once it is gone', async () => {
    const official = new UndiciInstrumentation();
    try {
      await (await fetch(`${origin}/both`)).text();
      const [span, ...others] = clientSpans();
      expect(others).toEqual([]);
      expect(span!.instrumentationScope.name).toBe('@opentelemetry/instrumentation-undici');
      expect(seen[0]!.traceparent).toMatch(new RegExp(`-${span!.spanContext().spanId}-01$`));
    } finally {
      official.disable();
    }
    spans.reset();
    await (await fetch(`${origin}/ours-again`)).text();
    expect(clientSpans().map((s) => s.instrumentationScope.name)).toEqual([UNDICI_CLIENT_SCOPE]);
  });

  it('a propagator that throws: the request is sent, its span still ends, nothing escapes the channel', async () => {
    propagation.disable();
    propagation.setGlobalPropagator({
      inject() {
        throw new Error('broken propagator');
      },
      extract: (ctx) => ctx,
      fields: () => [],
    });
    try {
      expect(await (await fetch(`${origin}/broken`)).text()).toBe('ok');
      expect(clientSpans().map((s) => s.attributes['http.response.status_code'])).toEqual([200]);
      expect(seen[0]!.traceparent).toBeUndefined();
    } finally {
      propagation.disable();
      propagation.setGlobalPropagator(productionPropagator());
    }
  });

  it('disable() unsubscribes: no span after it', async () => {
    const second = instrumentUndiciRequests();
    second.disable();
    instrumentation.disable();
    try {
      await (await fetch(`${origin}/off`)).text();
      expect(clientSpans()).toEqual([]);
      expect(seen[0]!.traceparent).toBeUndefined();
    } finally {
      instrumentation = instrumentUndiciRequests();
    }
  });
});
