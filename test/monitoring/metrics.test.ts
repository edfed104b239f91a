import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductionMonitor } from '../../src/monitoring/index.js';
import { getMeter } from '../../src/telemetry/api.js';
import { installEmbedded } from './helpers.js';

const LIMIT = 100;
let env: ReturnType<typeof installEmbedded>;
let monitor: ProductionMonitor;

beforeAll(() => {
  env = installEmbedded({ cardinalityLimit: LIMIT });
  monitor = new ProductionMonitor({ cardinalityLimit: LIMIT, defaultAlertRules: false, statsIntervalMs: 100 });
});
afterAll(async () => {
  await monitor.shutdown();
  await env.telemetry.shutdown();
});

describe('metrics facade', () => {
  it('records counters, gauges, histograms and timers over the OTel meter and reads them back', async () => {
    monitor.incrementCounter('test.jobs', { queue: 'a' });
    monitor.incrementCounter('test.jobs', { queue: 'a' }, 4);
    monitor.setGauge('test.temperature', 21.5);
    monitor.recordMetric('test.size', 10, 'histogram');
    monitor.recordMetric('test.inflight', -2, 'updowncounter');
    {
      using timer = monitor.startTimer('load_user');
      expect(monitor.getSystemStats().activeOperations).toBe(1);
      expect(timer.elapsedSeconds()).toBeGreaterThanOrEqual(0);
    }
    const failed = monitor.startTimer('load_user');
    const seconds = failed.stop('error', 'TIMEOUT');
    expect(failed.stop()).toBe(seconds);
    expect(monitor.getSystemStats().activeOperations).toBe(0);

    const metrics = await monitor.getMetrics();
    expect(metrics['test.jobs']).toMatchObject([{ kind: 'counter', value: 5, attributes: { queue: 'a' } }]);
    expect(metrics['test.temperature']).toMatchObject([{ kind: 'gauge', value: 21.5 }]);
    expect(metrics['test.size']).toMatchObject([{ kind: 'histogram', value: 1, histogram: { sum: 10 } }]);
    expect(metrics['test.inflight']).toMatchObject([{ kind: 'updowncounter', value: -2 }]);
    const timers = metrics['production.operation.duration']!;
    expect(
      timers.map((p) => p.attributes).sort((a, b) => String(a['production.outcome']).localeCompare(String(b['production.outcome']))),
    ).toEqual([
      { 'production.operation.name': 'load_user', 'production.outcome': 'error', 'error.type': 'TIMEOUT' },
      { 'production.operation.name': 'load_user', 'production.outcome': 'success' },
    ]);
    expect(timers[0]!.histogram!.boundaries).toContain(0.0005);
  });

  it('rejects bad input with the field path', () => {
    expect(() => monitor.recordMetric('9bad', 1, 'counter')).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'metrics.9bad.name' }),
    );
    expect(() => monitor.recordMetric('test.jobs', 1, 'gauge')).toThrow(expect.objectContaining({ path: 'metrics.test.jobs.type' }));
    expect(() => monitor.incrementCounter('test.jobs', {}, -1)).toThrow(expect.objectContaining({ path: 'metrics.test.jobs.value' }));
    expect(() => monitor.recordMetric('test.nan', Number.NaN, 'gauge')).toThrow(
      expect.objectContaining({ path: 'metrics.test.nan.value' }),
    );
  });

  it('caps cardinality under 100,000 distinct tag values, across collections too', async () => {
    const direct = getMeter().createCounter('test.direct', { description: 'Recorded straight through the API meter' });
    for (let i = 0; i < 100_000; i++) {
      monitor.incrementCounter('test.flood', { user_agent: `agent-${i}` });
      direct.add(1, { user_agent: `agent-${i}` });
      // Collections in between: the SDK's own limit resets per collection for cumulative readers.
      if (i % 20_000 === 19_999) await monitor.exportPrometheusMetrics();
    }
    const metrics = await monitor.getMetrics();
    const latest = (name: string) => {
      const points = metrics[name]!;
      const last = Math.max(...points.map((p) => p.timestamp));
      return points.filter((p) => p.timestamp === last);
    };
    const flood = latest('test.flood');
    expect(flood.length).toBeLessThanOrEqual(LIMIT);
    expect(flood.reduce((sum, p) => sum + p.value, 0)).toBe(100_000); // nothing lost: the rest is in the overflow series
    expect(flood.find((p) => p.attributes['otel.metric.overflow'] === true)!.value).toBe(100_000 - (LIMIT - 1));
    expect(monitor.healthCheck().metrics.overflowedRecords).toBe(100_000 - (LIMIT - 1));
    // Straight through the API, the view's limit holds within one collection (the SDK keeps earlier ones).
    const direct1 = latest('test.direct');
    expect(direct1.reduce((sum, p) => sum + p.value, 0)).toBe(100_000);
    expect(direct1.length).toBeLessThanOrEqual(LIMIT * 6);
  });
});

describe('system stats', () => {
  it('reports CPU, memory, event-loop delay, GC and uptime, and the runtime metrics by semconv names', async () => {
    const stats = monitor.getSystemStats();
    expect(stats.memory.rssBytes).toBeGreaterThan(0);
    expect(stats.memory.heapUsedBytes).toBeGreaterThan(0);
    expect(stats.memory.heapLimitBytes).toBeGreaterThan(stats.memory.heapUsedBytes);
    expect(stats.uptimeSeconds).toBeGreaterThan(0);
    expect(stats.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(stats.eventLoopDelayMs.p99).toBeGreaterThanOrEqual(stats.eventLoopDelayMs.p50);
    expect(stats.gc.count).toBeGreaterThanOrEqual(0);
    const metrics = await monitor.getMetrics();
    for (const name of [
      'process.cpu.utilization',
      'process.memory.usage',
      'process.uptime',
      'v8js.memory.heap.used',
      'v8js.memory.heap.limit',
      'nodejs.eventloop.delay.p50',
      'nodejs.eventloop.delay.p99',
      'nodejs.eventloop.utilization',
    ]) {
      expect(metrics[name], name).toBeDefined();
    }
    expect(metrics['process.memory.usage']![0]!.unit).toBe('By');
    expect(metrics['nodejs.eventloop.delay.p99']![0]!.unit).toBe('s');
  });

  it('reports its own health', () => {
    const health = monitor.healthCheck();
    expect(health).toMatchObject({ status: 'healthy', metricReaders: 'attached', logBuffer: { capacity: 1000 } });
  });
});
