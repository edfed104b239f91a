import { ROOT_CONTEXT, TraceFlags, context, trace, type SpanContext } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProductionSystem, type StandardProductionSystem } from '../../src/index.js';
import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, productionReader } from '../../src/sdk/index.js';
import { ExemplarStore, operationDurationExemplars } from '../../src/telemetry/exemplars.js';
import { DURATION_BUCKETS_SECONDS } from '../../src/telemetry/names.js';
import { samples } from './exposition-parse.js';
import { clockOf } from '../support/clock.js';

const ctx = (n: number, sampled = true): SpanContext => ({
  traceId: n.toString(16).padStart(32, '0'),
  spanId: n.toString(16).padStart(16, '0'),
  traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
});

describe('ExemplarStore', () => {
  const clockAt = (start: number) => {
    let now = start;
    return { clock: clockOf(() => now), advance: (ms: number) => (now += ms) };
  };

  it('keeps only sampled calls, one per bucket, the newest replacing the older one', () => {
    const time = clockAt(1000);
    const store = new ExemplarStore(DURATION_BUCKETS_SECONDS, 10, time.clock);
    const attrs = { op: 'q' };
    store.offer(attrs, 0.3, ctx(1, false));
    expect(store.find(attrs)).toBeUndefined();
    store.offer(attrs, 0.3, ctx(2));
    time.advance(5);
    store.offer(attrs, 0.4, ctx(3));
    time.advance(5);
    store.offer(attrs, 0.004, ctx(4));
    store.offer(attrs, 0.4, ctx(5, false));
    store.offer(attrs, Number.NaN, ctx(6));
    expect(store.find(attrs)!.list()).toEqual([
      { traceId: ctx(3).traceId, spanId: ctx(3).spanId, value: 0.4, timeMs: 1005 },
      { traceId: ctx(4).traceId, spanId: ctx(4).spanId, value: 0.004, timeMs: 1010 },
    ]);
  });

  it('holds at most one exemplar per bucket per series, and at most `capacity` series', () => {
    const store = new ExemplarStore(DURATION_BUCKETS_SECONDS, 3);
    // One attribute object per series, as the pipeline records with.
    const series = Array.from({ length: 5 }, (_, i) => ({ op: `op-${i}` }));
    for (let i = 0; i < 20_000; i++) store.offer(series[i % 5]!, (i % 997) / 10, ctx(i + 1));
    expect(store.size).toBe(3);
    // The two refused attribute sets are counted once each, not once per call.
    expect(store.droppedSeries).toBe(2);
    for (let s = 0; s < 3; s++)
      expect(store.find({ op: `op-${s}` })!.list().length).toBeLessThanOrEqual(DURATION_BUCKETS_SECONDS.length + 1);
    expect(store.find({ op: 'op-4' })).toBeUndefined();
  });

  it('finds a series by content, whatever object or key order recorded it, also after a miss', () => {
    const store = new ExemplarStore(DURATION_BUCKETS_SECONDS, 10);
    const reader = { b: '2', a: '1' };
    expect(store.find(reader)).toBeUndefined();
    store.offer({ a: '1', b: '2' }, 1, ctx(7));
    expect(store.find(reader)?.list()[0]?.traceId).toBe(ctx(7).traceId);
    store.clear();
    expect(store.find(reader)).toBeUndefined();
  });
});

/** Scrapes the system's admin server with `accept`. */
async function scrape(
  base: string,
  accept?: string,
  method = 'GET',
): Promise<{ status: number; type: string | null; vary: string | null; body: string }> {
  const response = await fetch(`${base}/metrics`, { method, headers: accept === undefined ? {} : { accept } });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    vary: response.headers.get('vary'),
    body: await response.text(),
  };
}

const PROMETHEUS_242_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

describe('exemplars of production.operation.duration over /metrics', () => {
  let system: StandardProductionSystem<object>;
  let quiet: StandardProductionSystem<object>;
  let base: string;

  beforeAll(async () => {
    system = createProductionSystem({}, { healthChecks: { enabled: false } }, { env: {} });
    quiet = createProductionSystem({}, { healthChecks: { enabled: false }, monitoring: { exemplars: false } }, { env: {} });
    const { port } = await system.startAdminServer({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await quiet.shutdown();
    await system.shutdown();
  });

  const bucketOf = (body: string, operation: string) =>
    samples(body).filter(
      (s) =>
        s.name === 'production_operation_duration_bucket' &&
        s.labels.some(([k, v]) => k === 'production_operation_name' && v === operation),
    );

  it('an OpenMetrics scrape carries the trace and span of a sampled call on the bucket its duration fell in', async () => {
    let span: SpanContext | undefined;
    await system.executeProtectedOperation('exemplar.slow', 'u1', async () => {
      span = trace.getActiveSpan()!.spanContext();
      await new Promise((r) => setTimeout(r, 100));
    });
    const { status, type, vary, body } = await scrape(base, PROMETHEUS_242_ACCEPT);
    expect(status).toBe(200);
    expect(type).toBe(OPENMETRICS_CONTENT_TYPE);
    expect(vary).toBe('Accept');
    expect(body.endsWith('# EOF\n')).toBe(true);
    const withExemplar = bucketOf(body, 'exemplar.slow').filter((s) => s.exemplar !== undefined);
    expect(withExemplar).toHaveLength(1);
    const [sample] = withExemplar;
    expect(sample!.exemplar!.labels).toEqual([
      ['trace_id', span!.traceId],
      ['span_id', span!.spanId],
    ]);
    const value = Number(sample!.exemplar!.value);
    const le = Number(sample!.labels.find(([k]) => k === 'le')![1]);
    const lower = DURATION_BUCKETS_SECONDS.filter((b) => b < le).at(-1) ?? 0;
    expect(value).toBeGreaterThan(lower);
    expect(value).toBeLessThanOrEqual(le);
    // A 100 ms timer may fire a few ms early (libuv's cached loop time); it is well above 50 ms all the same.
    expect(value).toBeGreaterThan(0.05);
    expect(Math.abs(Number(sample!.exemplar!.timestamp) * 1000 - Date.now())).toBeLessThan(60_000);
  });

  it('a call whose trace is not sampled leaves no exemplar; a failed call leaves one on its error series', async () => {
    const unsampled = trace.setSpanContext(ROOT_CONTEXT, { ...ctx(99, false), isRemote: true });
    await context.with(unsampled, () => system.executeProtectedOperation('exemplar.unsampled', 'u1', async () => 1));
    let failedSpan: SpanContext | undefined;
    await system
      .executeProtectedOperation(
        'exemplar.failing',
        'u1',
        async () => {
          failedSpan = trace.getActiveSpan()!.spanContext();
          throw new TypeError('boom');
        },
        { idempotent: false },
      )
      .catch(() => undefined);
    const { body } = await scrape(base, 'application/openmetrics-text');
    expect(bucketOf(body, 'exemplar.unsampled').length).toBeGreaterThan(0);
    expect(bucketOf(body, 'exemplar.unsampled').filter((s) => s.exemplar)).toEqual([]);
    const failed = bucketOf(body, 'exemplar.failing').filter((s) => s.exemplar);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.labels).toContainEqual(['error_type', 'TypeError']);
    expect(failed[0]!.exemplar!.labels[0]).toEqual(['trace_id', failedSpan!.traceId]);
  });

  it('without an OpenMetrics Accept the scrape is the text format 0.0.4, as getPrometheusMetrics returns it; HEAD sends no body', async () => {
    for (const accept of [
      undefined,
      'text/plain',
      'text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5',
      '*/*',
      'application/openmetrics-text;q=0',
    ]) {
      const { type, body } = await scrape(base, accept);
      expect(type, accept).toBe(PROMETHEUS_CONTENT_TYPE);
      expect(body).not.toContain('# EOF');
      expect(body).not.toContain('trace_id');
      expect(body).toMatch(/^# TYPE production_operation_duration histogram$/m);
    }
    const head = await scrape(base, 'application/openmetrics-text', 'HEAD');
    expect(head).toMatchObject({ status: 200, type: OPENMETRICS_CONTENT_TYPE, body: '' });
    const text = await productionReader().getMetricsText();
    expect(text).toMatch(/^# TYPE production_operation_duration histogram$/m);
    expect(text).not.toContain('# EOF');
    expect(await productionReader().getMetricsText('openmetrics')).toMatch(/trace_id="[0-9a-f]{32}"/);
  });

  it('with monitoring.exemplars false, calls of that system leave no exemplars', async () => {
    const store = operationDurationExemplars();
    await quiet.executeProtectedOperation('exemplar.quiet', 'u1', async () => 1);
    expect(store.find({ 'production.operation.name': 'exemplar.quiet', 'production.outcome': 'success' })).toBeUndefined();
    const { body } = await scrape(base, 'application/openmetrics-text');
    expect(bucketOf(body, 'exemplar.quiet').length).toBeGreaterThan(0);
    expect(bucketOf(body, 'exemplar.quiet').filter((s) => s.exemplar)).toEqual([]);
  });
});
