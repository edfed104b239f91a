import {
  AggregationTemporality,
  AggregationType,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MetricCellsProducer, providerViewSource, viewOptionsSource } from '../../src/sdk/cells-producer.js';
import { ExpositionWriter } from '../../src/sdk/index.js';
import { mergeScopes } from '../../src/sdk/merge-scopes.js';
import { MetricCells } from '../../src/telemetry/metric-cells.js';
import { DURATION_BUCKETS_SECONDS } from '../../src/telemetry/names.js';

class PullReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const SCOPE = { name: 'cells-test', version: '1.0.0' };
const DESCRIPTION = 'Duration of protected operations, from admission to outcome';

/** The same records through the SDK (a histogram and a counter on a MeterProvider with `views`) and into cells. */
async function bothWays(
  records: readonly { op: number; outcome: string; value: number; retries: number }[],
  views: ViewOptions[] = [],
  source: 'provider' | 'options' = 'provider',
): Promise<{ sdk: ResourceMetrics; cells: ResourceMetrics; producer: MetricCellsProducer; registry: MetricCells }> {
  const reader = new PullReader();
  const provider = new MeterProvider({ readers: [reader], views });
  const meter = provider.getMeter(SCOPE.name, SCOPE.version);
  const histogram = meter.createHistogram('production.operation.duration', {
    description: DESCRIPTION,
    unit: 's',
    advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] },
  });
  const counter = meter.createCounter('production.operation.retries', { description: 'Retries', unit: '{retry}' });

  const registry = new MetricCells();
  const cellHistogram = registry.histogram({
    name: 'production.operation.duration',
    unit: 's',
    description: DESCRIPTION,
    scope: SCOPE.name,
    scopeVersion: SCOPE.version,
    boundaries: DURATION_BUCKETS_SECONDS,
  });
  const cellCounter = registry.counter({
    name: 'production.operation.retries',
    unit: '{retry}',
    description: 'Retries',
    scope: SCOPE.name,
    scopeVersion: SCOPE.version,
  });
  const producer = new MetricCellsProducer(registry);
  // The SDK's own view registry selects the views (what our reader does), or our reading of the options.
  producer.configure(source === 'provider' ? providerViewSource(reader)! : viewOptionsSource(views));

  for (const { op, outcome, value, retries } of records) {
    const attributes = { 'production.operation.name': `op_${op}`, 'production.outcome': outcome };
    histogram.record(value, attributes);
    cellHistogram.cell(attributes).record(value);
    if (retries > 0) {
      counter.add(retries, { 'production.operation.name': `op_${op}` });
      cellCounter.cell({ 'production.operation.name': `op_${op}` }).add(retries);
    }
  }
  const { resourceMetrics: sdk } = await reader.collect();
  const cells = { ...producer.resourceMetrics(), resource: sdk.resource };
  await provider.shutdown();
  return { sdk, cells, producer, registry };
}

const record = fc.record({
  op: fc.integer({ min: 0, max: 6 }),
  outcome: fc.constantFrom('success', 'error', 'rejected'),
  // Bucket boundaries themselves, values between them, zero and huge ones.
  value: fc.oneof(fc.constantFrom(0, ...DURATION_BUCKETS_SECONDS, 1e9), fc.double({ min: 0, max: 100, noNaN: true })),
  retries: fc.integer({ min: 0, max: 3 }),
});

describe('pre-bound metric cells exported through the MetricProducer', () => {
  it('give the same Prometheus text and OpenMetrics as the SDK for the same records', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 60 }), async (records) => {
        const { sdk, cells } = await bothWays(records);
        const writer = new ExpositionWriter({ exemplars: () => undefined });
        // Series order inside a family follows first use in both, so the texts are equal byte for byte.
        expect(writer.serialize(cells)).toBe(writer.serialize(sdk));
        expect(writer.serialize(cells, 'openmetrics')).toBe(writer.serialize(sdk, 'openmetrics'));
      }),
      { numRuns: 40 },
    );
  });

  it('honour a view: its name, description and bucket boundaries, as the SDK applies them', async () => {
    const views: ViewOptions[] = [
      {
        instrumentName: 'production.operation.duration',
        name: 'ops.latency',
        description: 'renamed',
        aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [0.1, 1] } },
      },
    ];
    const records = [0.05, 0.1, 0.5, 2].map((value) => ({ op: 1, outcome: 'success', value, retries: 1 }));
    const { sdk, cells } = await bothWays(records, views);
    const writer = new ExpositionWriter();
    const text = writer.serialize(cells);
    expect(writer.serialize((await bothWays(records, views, 'options')).cells)).toBe(text);
    expect(text).toBe(writer.serialize(sdk));
    expect(text).toContain('# HELP ops_latency renamed');
    expect(text).toMatch(/ops_latency_bucket\{[^}]*le="0.1"\} 2\n/);
  });

  it('honour a DROP view and a wildcard view with a cardinality limit (the rest go to the overflow series)', async () => {
    const records = [1, 2, 3, 4, 5].map((op) => ({ op, outcome: 'success', value: 0.01, retries: 0 }));
    const views: ViewOptions[] = [
      { instrumentName: 'production.operation.retries', aggregation: { type: AggregationType.DROP } },
      { instrumentName: 'production.operation.d*', aggregationCardinalityLimit: 3 },
    ];
    const records2 = [...records, { op: 1, outcome: 'error', value: 0.2, retries: 2 }];
    const { sdk, cells } = await bothWays(records2, views);
    const writer = new ExpositionWriter();
    expect(writer.serialize((await bothWays(records2, views, 'options')).cells)).toBe(writer.serialize(cells));
    expect(writer.serialize(cells)).toBe(writer.serialize(sdk));
    expect(writer.serialize(cells)).toContain('otel_metric_overflow="true"');
    expect(writer.serialize(cells)).not.toContain('production_operation_retries');
  });

  it('leave an instrument to the API when a view asks for what cells cannot do', async () => {
    const views: ViewOptions[] = [
      { instrumentName: 'production.operation.duration', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } },
    ];
    const { registry, cells } = await bothWays([{ op: 1, outcome: 'success', value: 0.01, retries: 1 }], views);
    const [duration, retries] = [...registry.list()];
    registry.active = true;
    expect(duration!.active).toBe(false);
    expect(retries!.active).toBe(true);
    expect(cells.scopeMetrics[0]!.metrics.map((m) => m.descriptor.name)).toEqual(['production.operation.retries']);
  });

  it('export only series that were recorded, and drop negative and NaN values as the SDK does', () => {
    const registry = new MetricCells();
    const histogram = registry.histogram({ name: 'h', unit: 's', description: '', scope: 's', boundaries: [1] });
    histogram.cell({ a: 'never' });
    const cell = histogram.cell({ a: 'used' });
    cell.record(-1);
    cell.record(Number.NaN);
    cell.record(0.5);
    const metrics = new MetricCellsProducer(registry).resourceMetrics().scopeMetrics[0]!.metrics;
    expect(metrics[0]!.dataPoints).toMatchObject([{ attributes: { a: 'used' }, value: { count: 1, sum: 0.5, min: 0.5, max: 0.5 } }]);
  });
});

describe('mergeScopes', () => {
  it('puts the cells into the SDK scope of the same name, one family per metric name', () => {
    const point = (v: number) => ({
      attributes: { k: String(v) },
      startTime: [0, 0] as [number, number],
      endTime: [1, 0] as [number, number],
      value: v,
    });
    const sum = (name: string, v: number) => ({
      descriptor: { name, description: '', unit: '', valueType: 1 },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: 3,
      isMonotonic: true,
      dataPoints: [point(v)],
    });
    const merged = mergeScopes({
      resource: { attributes: {} } as ResourceMetrics['resource'],
      scopeMetrics: [
        { scope: SCOPE, metrics: [sum('a', 1), sum('b', 2)] },
        { scope: { name: 'other' }, metrics: [sum('c', 3)] },
        { scope: SCOPE, metrics: [sum('b', 4), sum('d', 5)] },
      ],
    });
    expect(merged.scopeMetrics.map((s) => [s.scope.name, s.metrics.map((m) => `${m.descriptor.name}:${m.dataPoints.length}`)])).toEqual([
      ['cells-test', ['a:1', 'b:2', 'd:1']],
      ['other', ['c:1']],
    ]);
  });
});
