import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExpositionWriter, ProductionMetricReader, type ExpositionWriterOptions } from '../../src/sdk/index.js';
import { resourceMetrics, writerOptions } from './exposition-arbitraries.js';

/** `@opentelemetry/exporter-prometheus`' serializer with the options our reader passes it. */
const reference = (options: ExpositionWriterOptions): PrometheusSerializer =>
  new PrometheusSerializer(
    '',
    false,
    options.withResourceConstantLabels,
    options.withoutTargetInfo ?? false,
    options.withoutScopeInfo ?? false,
  );

describe('the text format 0.0.4 writer against @opentelemetry/exporter-prometheus', () => {
  it('writes byte for byte what PrometheusSerializer writes, for hostile metric sets', () => {
    fc.assert(
      fc.property(resourceMetrics(true), writerOptions, (rm: ResourceMetrics, options) => {
        expect(new ExpositionWriter(options).serialize(rm)).toBe(reference(options).serialize(rm));
      }),
      { numRuns: 400 },
    );
  });

  it('writes byte for byte what PrometheusSerializer writes, for metric sets Prometheus can ingest', () => {
    fc.assert(
      fc.property(resourceMetrics(false), writerOptions, (rm: ResourceMetrics, options) => {
        expect(new ExpositionWriter(options).serialize(rm)).toBe(reference(options).serialize(rm));
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same bytes when written in slices as when written at once', async () => {
    let tick = 0;
    await fc.assert(
      fc.asyncProperty(resourceMetrics(true), writerOptions, async (rm: ResourceMetrics, options) => {
        // A clock that moves 1 ms per read and 1 ms slices: a yield after almost every sealed group of points.
        const writer = new ExpositionWriter({ ...options, sliceMs: 1, clock: () => tick++ });
        expect(await writer.text(rm, 'prometheus')).toBe(reference(options).serialize(rm));
        expect(await writer.text(rm, 'openmetrics')).toBe(writer.serialize(rm, 'openmetrics'));
      }),
      { numRuns: 100 },
    );
  });
});

class PullReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** Records on every instrument kind of a real MeterProvider and returns what `reader` collects. */
async function recordEverything(reader: MetricReader): Promise<ResourceMetrics> {
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'svc "1"', 'service.instance.id': 'a\\b\nc', 'host.arch': 'amd64' }),
    readers: [reader],
    views: [{ instrumentName: 'exp.*', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const a = provider.getMeter('scope-a', '1.2.3', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
  const b = provider.getMeter('scope "b"');
  const attrs = [{ route: '/ä"b\\c\nd' }, { route: '/plain', 'http.status_code': 200, ok: true }, {}];
  const counter = a.createCounter('http.requests', { description: 'Requests\nwith "newline"', unit: '{request}' });
  const upDown = a.createUpDownCounter('queue.depth');
  const histogram = a.createHistogram('op.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.001, 0.01, 0.1, 1, 10] } });
  const defaultHistogram = b.createHistogram('payload.size', { unit: 'By' });
  const gauge = b.createGauge('temperature', { description: 'C\\F' });
  const exp = b.createHistogram('exp.latency');
  b.createObservableCounter('cpu.time').addCallback((r) => r.observe(12.5, { cpu: '0' }));
  b.createObservableUpDownCounter('connections').addCallback((r) => r.observe(-3));
  b.createObservableGauge('memory.used').addCallback((r) => r.observe(Number.MAX_VALUE, { kind: 'heap' }));
  b.createCounter('jobs_total').add(1);
  for (const [i, at] of attrs.entries()) {
    counter.add(i + 1, at);
    upDown.add(-i, at);
    histogram.record(0.0004 * 10 ** i, at);
    histogram.record(Infinity, at);
    defaultHistogram.record(4096 * i, at);
    gauge.record(i === 0 ? -0 : 1e21 * i, at);
    exp.record(i + 0.5, at);
  }
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return resourceMetrics;
}

describe('on collections of a real MeterProvider', () => {
  for (const temporality of [AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA]) {
    it(`matches PrometheusSerializer for every instrument kind, ${AggregationTemporality[temporality]}, with an exponential-histogram view`, async () => {
      const rm = await recordEverything(new PullReader({ aggregationTemporalitySelector: () => temporality }));
      expect(rm.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.dataPointType)).sort()).toEqual(
        [
          DataPointType.HISTOGRAM,
          DataPointType.HISTOGRAM,
          DataPointType.EXPONENTIAL_HISTOGRAM,
          DataPointType.GAUGE,
          DataPointType.GAUGE,
          ...Array<DataPointType>(5).fill(DataPointType.SUM),
        ].sort(),
      );
      fc.assert(
        fc.property(writerOptions, (options) => {
          expect(new ExpositionWriter(options).serialize(rm)).toBe(reference(options).serialize(rm));
        }),
        { numRuns: 20 },
      );
    });
  }

  it('our reader serves, for its own collection, what PrometheusSerializer writes', async () => {
    const reader = new ProductionMetricReader({ withoutScopeInfo: false });
    const rm = await recordEverything(reader);
    expect(new ExpositionWriter().serialize(rm)).toBe(reference({}).serialize(rm));
  });
});
