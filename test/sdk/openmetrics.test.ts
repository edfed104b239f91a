import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Attributes } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExpositionWriter, type Exemplar, type ExemplarLookup } from '../../src/sdk/index.js';
import { canonicalNumber } from '../../src/sdk/exposition/text.js';
import { run } from '../collector-config/support.js';
import { requireBinary } from '../support/helpers.js';
import { resourceMetrics, writerOptions } from './exposition-arbitraries.js';
import { samples, withTimestamps, type Sample } from './exposition-parse.js';

const TIME: [number, number] = [1_764_400_000, 0];
const BOUNDS = [0.005, 0.05, 0.5, 1, 5];

function histogramMetric(
  name: string,
  points: { attributes: Attributes; counts: number[]; sum?: number }[],
  boundaries = BOUNDS,
): MetricData {
  return {
    descriptor: { name, description: 'Latency "p" \\ all', unit: 's', valueType: 1 },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.HISTOGRAM,
    dataPoints: points.map((p) => ({
      attributes: p.attributes,
      startTime: TIME,
      endTime: TIME,
      value: { buckets: { boundaries, counts: p.counts }, count: p.counts.reduce((a, b) => a + b, 0), sum: p.sum, min: 0, max: 1 },
    })),
  };
}

function sumMetric(name: string, monotonic: boolean, value: number, unit = ''): MetricData {
  return {
    descriptor: { name, description: '', unit, valueType: 1 },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.SUM,
    isMonotonic: monotonic,
    dataPoints: [{ attributes: { route: '/a' }, startTime: TIME, endTime: TIME, value }],
  };
}

const collection = (...scopes: { name: string; metrics: MetricData[] }[]): ResourceMetrics => ({
  resource: resourceFromAttributes({ 'service.name': 'svc' }),
  scopeMetrics: scopes.map(({ name, metrics }) => ({ scope: { name }, metrics })),
});

/** A lookup holding `exemplars` for every series. */
const lookupOf = (exemplars: Exemplar[]): ExemplarLookup => ({ find: () => ({ list: () => exemplars }) });
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

describe('OpenMetrics 1.0 output', () => {
  it('lists each family once with its metadata before its samples, with the suffixes its type allows, and ends with # EOF', () => {
    fc.assert(
      fc.property(resourceMetrics(false), writerOptions, (rm, options) => {
        const text = new ExpositionWriter(options).serialize(rm, 'openmetrics');
        expect(text.endsWith('# EOF\n')).toBe(true);
        expect(text).not.toContain('# no registered metrics');
        const types = new Map<string, string>();
        let family: { name: string; type: string } | undefined;
        let bucket: { series: string; le: number } | undefined;
        for (const line of text.split('\n').slice(0, -2)) {
          const meta = /^# (HELP|TYPE|UNIT) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/s.exec(line);
          if (meta !== null) {
            if (meta[1] === 'TYPE') {
              expect(types.has(meta[2]!), `family ${meta[2]} declared twice`).toBe(false);
              types.set(meta[2]!, meta[3]!);
              family = { name: meta[2]!, type: meta[3]! };
            }
            if (meta[1] === 'UNIT') expect(meta[2]!.endsWith(`_${meta[3]}`)).toBe(true);
            continue;
          }
          expect(line.startsWith('#'), line).toBe(false);
          const sample = samples(line)[0]!;
          const suffixes = { counter: ['_total'], gauge: [''], histogram: ['_bucket', '_count', '_sum'], info: ['_info'] }[family!.type]!;
          expect(
            suffixes.map((s) => family!.name + s),
            `${sample.name} in ${family!.name} (${family!.type})`,
          ).toContain(sample.name);
          // A histogram point's buckets: increasing le, the last one +Inf, before its _count.
          const series = JSON.stringify([sample.name, sample.labels.filter(([k]) => k !== 'le')]);
          if (sample.name.endsWith('_bucket')) {
            const le = Number(sample.labels.find(([k]) => k === 'le')![1].replace('+Inf', 'Infinity'));
            if (bucket?.series === series) expect(le).toBeGreaterThan(bucket.le);
            else expect(bucket === undefined || bucket.le === Infinity).toBe(true);
            bucket = { series, le };
          } else if (sample.name.endsWith('_count') && family!.type === 'histogram') {
            expect(bucket?.le).toBe(Infinity);
            bucket = undefined;
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('holds the same samples as the text format (le as canonical numbers, +Inf present in every histogram)', () => {
    const key = (s: Sample): string =>
      `${s.name}${JSON.stringify(s.labels.map(([k, v]) => [k, k === 'le' && v !== '+Inf' ? String(Number(v)) : v]))} ${s.value}`;
    fc.assert(
      fc.property(resourceMetrics(false), writerOptions, (rm, options) => {
        const writer = new ExpositionWriter(options);
        const text = samples(writer.serialize(rm, 'prometheus')).map(key);
        const open = samples(writer.serialize(rm, 'openmetrics'));
        for (const s of open) {
          const le = s.labels.find(([k]) => k === 'le')?.[1];
          if (le !== undefined && le !== '+Inf') expect(le).toBe(canonicalNumber(Number(le)));
        }
        const openKeys = open.map(key);
        expect(text.filter((k) => !openKeys.includes(k))).toEqual([]);
        // Only an empty histogram (no bucket counts at all) gains a sample: its +Inf bucket, equal to its count.
        const added = open.filter((s) => !text.includes(key(s)));
        for (const s of added) {
          expect(s.labels.find(([k]) => k === 'le')?.[1]).toBe('+Inf');
          expect(s.value).toBe('0');
        }
      }),
      { numRuns: 200 },
    );
  });

  it("is accepted by Prometheus' own OpenMetrics parser (promtool tsdb create-blocks-from openmetrics)", async () => {
    // `promtool check metrics` reads only the text format (prometheus/prometheus#8932), so the OpenMetrics
    // output goes through the backfill command, which parses with the scraper's OpenMetrics parser and
    // needs a timestamp on every sample: the test adds one, nothing else changes.
    const promtool = requireBinary('/usr/bin/promtool', 'prometheus');
    const dir = mkdtempSync(join(tmpdir(), 'llmkg-om-'));
    try {
      const sets = fc.sample(fc.tuple(resourceMetrics(false), writerOptions), { numRuns: 12, seed: 17 });
      const exemplars = lookupOf([{ traceId: TRACE, spanId: SPAN, value: 0.04, timeMs: 1_764_400_000_123 }]);
      for (const [i, [rm, options]] of sets.entries()) {
        const text = new ExpositionWriter({ ...options, exemplars: () => exemplars }).serialize(rm, 'openmetrics');
        const file = join(dir, `om-${i}.txt`);
        writeFileSync(file, withTimestamps(text, '1764400000.5'));
        const result = await run(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', file, join(dir, `blocks-${i}`)]);
        expect(result.code, `${result.stdout}${result.stderr}\n${text}`).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('names counter families without _total, lists target_info as an info family and shares a family across scopes', () => {
    const rm = collection(
      { name: 'a', metrics: [sumMetric('http.requests', true, 3), sumMetric('jobs_total', true, 4), sumMetric('queue.depth', false, -2)] },
      { name: 'b', metrics: [sumMetric('http.requests', true, 5)] },
    );
    const text = new ExpositionWriter().serialize(rm, 'openmetrics');
    expect(text).toBe(
      [
        '# HELP target Target metadata',
        '# TYPE target info',
        'target_info{service_name="svc"} 1',
        '# HELP http_requests description missing',
        '# TYPE http_requests counter',
        'http_requests_total{route="/a",otel_scope_name="a"} 3',
        'http_requests_total{route="/a",otel_scope_name="b"} 5',
        '# HELP jobs description missing',
        '# TYPE jobs counter',
        'jobs_total{route="/a",otel_scope_name="a"} 4',
        '# HELP queue_depth description missing',
        '# TYPE queue_depth gauge',
        'queue_depth{route="/a",otel_scope_name="a"} -2',
        '# EOF',
        '',
      ].join('\n'),
    );
  });

  it('leaves out a metric whose name is already a family of another type, and exponential histograms', () => {
    const exponential: MetricData = {
      ...histogramMetric('exp', []),
      dataPointType: DataPointType.EXPONENTIAL_HISTOGRAM,
      dataPoints: [],
    };
    const rm = collection({
      name: 'a',
      metrics: [sumMetric('x', true, 1), histogramMetric('x', [{ attributes: {}, counts: [1, 0, 0, 0, 0, 0], sum: 0.001 }]), exponential],
    });
    const text = new ExpositionWriter({ withoutScopeInfo: true, withoutTargetInfo: true }).serialize(rm, 'openmetrics');
    expect(text).toBe('# HELP x description missing\n# TYPE x counter\nx_total{route="/a"} 1\n# EOF\n');
  });

  it('writes # UNIT only when the unit is a suffix of the name, and escapes quotes in HELP', () => {
    const rm = collection({
      name: 'a',
      metrics: [sumMetric('disk.usage.bytes', false, 1, 'bytes'), sumMetric('op.duration', false, 1, 's')],
    });
    const text = new ExpositionWriter({ withoutScopeInfo: true, withoutTargetInfo: true }).serialize(rm, 'openmetrics');
    expect(text).toContain('# TYPE disk_usage_bytes gauge\n# UNIT disk_usage_bytes bytes\n');
    expect(text).not.toContain('# UNIT op_duration');
    const help = new ExpositionWriter({ withoutTargetInfo: true }).serialize(
      collection({ name: 'a', metrics: [histogramMetric('h', [])] }),
      'openmetrics',
    );
    expect(help).toContain('# HELP h Latency \\"p\\" \\\\ all\n');
  });

  it('writes buckets in increasing canonical le up to +Inf, then _count and _sum; an empty histogram still has +Inf', () => {
    const rm = collection({
      name: 'a',
      metrics: [
        histogramMetric('lat', [
          { attributes: { op: 'q' }, counts: [1, 2, 0, 3, 0, 1], sum: 7.5 },
          { attributes: { op: 'e' }, counts: [], sum: 0 },
        ]),
      ],
    });
    const text = new ExpositionWriter({ withoutScopeInfo: true, withoutTargetInfo: true }).serialize(rm, 'openmetrics');
    expect(text.split('\n').filter((l) => l.startsWith('lat'))).toEqual([
      'lat_bucket{op="q",le="0.005"} 1',
      'lat_bucket{op="q",le="0.05"} 3',
      'lat_bucket{op="q",le="0.5"} 3',
      'lat_bucket{op="q",le="1.0"} 6',
      'lat_bucket{op="q",le="5.0"} 6',
      'lat_bucket{op="q",le="+Inf"} 7',
      'lat_count{op="q"} 7',
      'lat_sum{op="q"} 7.5',
      'lat_bucket{op="e",le="+Inf"} 0',
      'lat_count{op="e"} 0',
      'lat_sum{op="e"} 0',
    ]);
  });

  it('puts each exemplar on the bucket its value falls in, the newest per bucket, with trace_id, span_id, value and seconds', () => {
    const exemplars: Exemplar[] = [
      { traceId: '1'.repeat(32), spanId: '1'.repeat(16), value: 0.3, timeMs: 1_000 },
      { traceId: TRACE, spanId: SPAN, value: 0.5, timeMs: 2_500 },
      { traceId: '2'.repeat(32), spanId: '2'.repeat(16), value: 0.001, timeMs: 3_000 },
      { traceId: '3'.repeat(32), spanId: '3'.repeat(16), value: 99, timeMs: 4_000 },
      { traceId: 'not-a-trace-id', spanId: SPAN, value: 2, timeMs: 5_000 },
    ];
    const rm = collection({ name: 'a', metrics: [histogramMetric('lat', [{ attributes: {}, counts: [1, 0, 2, 0, 1, 1], sum: 101 }])] });
    const text = new ExpositionWriter({ withoutScopeInfo: true, withoutTargetInfo: true, exemplars: () => lookupOf(exemplars) }).serialize(
      rm,
      'openmetrics',
    );
    expect(text.split('\n').filter((l) => l.startsWith('lat_bucket'))).toEqual([
      `lat_bucket{le="0.005"} 1 # {trace_id="${'2'.repeat(32)}",span_id="${'2'.repeat(16)}"} 0.001 3`,
      'lat_bucket{le="0.05"} 1',
      `lat_bucket{le="0.5"} 3 # {trace_id="${TRACE}",span_id="${SPAN}"} 0.5 2.5`,
      'lat_bucket{le="1.0"} 3',
      'lat_bucket{le="5.0"} 4',
      `lat_bucket{le="+Inf"} 5 # {trace_id="${'3'.repeat(32)}",span_id="${'3'.repeat(16)}"} 99 4`,
    ]);
    // The text format never carries exemplars.
    expect(new ExpositionWriter({ exemplars: () => lookupOf(exemplars) }).serialize(rm, 'prometheus')).not.toContain('trace_id');
  });
});

describe('canonical numbers for le', () => {
  it("renders the OpenMetrics specification's examples", () => {
    const cases: [number, string][] = [
      [0, '0.0'],
      [0.001, '0.001'],
      [0.002, '0.002'],
      [0.01, '0.01'],
      [0.1, '0.1'],
      [0.9, '0.9'],
      [0.95, '0.95'],
      [0.99, '0.99'],
      [0.999, '0.999'],
      [1, '1.0'],
      [1.7, '1.7'],
      [10, '10.0'],
      [1e-10, '1e-10'],
      [1e-9, '1e-09'],
      [1e-5, '1e-05'],
      [0.0001, '0.0001'],
      [100000, '100000.0'],
      [1e6, '1e+06'],
      [1e10, '1e+10'],
      [1e23, '1e+23'],
      [1.1e23, '1.1e+23'],
      [Infinity, '+Inf'],
      [-Infinity, '-Inf'],
      [-2.5, '-2.5'],
      [123456, '123456.0'],
      [1234567, '1.234567e+06'],
    ];
    for (const [value, expected] of cases) expect(canonicalNumber(value), String(value)).toBe(expected);
  });

  it('reads back as the same number, always with a point or an exponent', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        const text = canonicalNumber(value);
        expect(Number(text)).toBe(value);
        expect(text).toMatch(/^-?\d+(\.\d+)?(e[+-]\d{2,3})?$/);
        expect(text).toMatch(/[.e]/);
      }),
    );
  });
});
