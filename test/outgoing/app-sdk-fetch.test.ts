import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, metrics, SpanKind, trace } from '@opentelemetry/api';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { withDeadline } from '../../src/deadlines/context.js';
import {
  leanUndiciInstrumentation,
  productionSdkConfig,
  undiciInstrumentation,
  LEAN_UNDICI_INSTRUMENTATION_NAME,
  UNDICI_INSTRUMENTATION_NAME,
} from '../../src/sdk/index.js';

// An application with its own NodeSDK: productionSdkConfig() brings the undici instrumentation, so Node's
// fetch carries the trace and the deadline, as under the preload.

describe('productionSdkConfig(): fetch instrumented in an application NodeSDK', () => {
  it('adds one undici instrumentation per process, and keeps an undici instrumentation of the application instead', () => {
    const first = productionSdkConfig().instrumentations;
    expect(first.map((i) => i.instrumentationName)).toEqual([UNDICI_INSTRUMENTATION_NAME]);
    expect(productionSdkConfig().instrumentations[0]).toBe(first[0]);
    expect(undiciInstrumentation()).toBe(first[0]);
    const theirs = new UndiciInstrumentation({ enabled: false });
    expect(productionSdkConfig({}, { instrumentations: [theirs] }).instrumentations).toEqual([theirs]);
  });

  it('a fetch inside a span with a deadline: one client span, traceparent and production-deadline-ms on the wire', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
    const spans = new InMemorySpanExporter();
    const sdk = new NodeSDK({
      ...productionSdkConfig({}, { spanProcessors: [new SimpleSpanProcessor(spans)] }),
      serviceName: 'app',
      autoDetectResources: false,
    });
    sdk.start();
    try {
      const parent = trace.getTracer('test').startSpan('parent');
      const ctx = withDeadline(trace.setSpan(context.active(), parent), performance.now() + 2000);
      const response = await context.with(ctx, () => fetch(url));
      expect(await response.text()).toBe('ok');
      parent.end();
      const clients = spans.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
      expect(clients, JSON.stringify([seen, spans.getFinishedSpans().map((s) => s.name)])).toHaveLength(1);
      expect(clients[0]!.attributes).toMatchObject({ 'http.request.method': 'GET', 'url.full': url, 'http.response.status_code': 200 });
      expect(clients[0]!.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      expect(seen[0]!.traceparent).toBe(`00-${parent.spanContext().traceId}-${clients[0]!.spanContext().spanId}-01`);
      const left = Number(seen[0]!['production-deadline-ms']);
      expect(left).toBeGreaterThan(1000);
      expect(left).toBeLessThanOrEqual(2000);
    } finally {
      await sdk.shutdown();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('opting in to the lean undici instrumentation: no official one added, one client span of ours, the duration on the SDK meter', async () => {
    // The official one the tests above enabled (a NodeSDK's shutdown leaves it subscribed) would make ours step aside.
    undiciInstrumentation().disable();
    // The NodeSDK above left its providers registered (shutdown does not unregister them): this one registers its own.
    trace.disable();
    metrics.disable();
    const lean = leanUndiciInstrumentation();
    expect(leanUndiciInstrumentation()).toBe(lean);
    expect(productionSdkConfig({}, { instrumentations: [lean] }).instrumentations.map((i) => i.instrumentationName)).toEqual([
      LEAN_UNDICI_INSTRUMENTATION_NAME,
    ]);
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lean`;
    const spans = new InMemorySpanExporter();
    const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
    const sdk = new NodeSDK({
      ...productionSdkConfig({}, { spanProcessors: [new SimpleSpanProcessor(spans)], metricReaders: [reader], instrumentations: [lean] }),
      serviceName: 'app',
      autoDetectResources: false,
    });
    sdk.start();
    try {
      const parent = trace.getTracer('test').startSpan('parent');
      await (await context.with(trace.setSpan(context.active(), parent), () => fetch(url))).text();
      parent.end();
      const clients = spans.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
      expect(clients.map((s) => s.instrumentationScope.name)).toEqual([LEAN_UNDICI_INSTRUMENTATION_NAME]);
      expect(seen[0]!.traceparent).toBe(`00-${parent.spanContext().traceId}-${clients[0]!.spanContext().spanId}-01`);
      await reader.forceFlush();
      const names = metricExporter
        .getMetrics()
        .flatMap((m) => m.scopeMetrics)
        .filter((s) => s.scope.name === LEAN_UNDICI_INSTRUMENTATION_NAME)
        .flatMap((s) => s.metrics.map((metric) => metric.descriptor.name));
      expect(names).toContain('http.client.request.duration');
    } finally {
      await sdk.shutdown();
      lean.disable();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
