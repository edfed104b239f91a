import type { Attributes, AttributeValue, HrTime } from '@opentelemetry/api';
import { ValueType } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type DataPoint,
  type Histogram,
  type MetricData,
  type MetricDescriptor,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';

/**
 * Random metric sets for the exposition tests: every data point type and temporality, names and label
 * values with quotes, backslashes, newlines and non-ASCII, special numbers, empty histograms, many scopes.
 * `hostile` allows what only a hand-built collection holds (names that sanitize to nothing, label keys
 * starting with digits, colliding names); without it the set is what Prometheus can ingest.
 */

const TIME: HrTime = [1_764_400_000, 123_000_000];

const nasty = fc.constantFrom('"', '\\', '\n', '\\n', '\\"', 'é', '中', '😀', ' ', '{', '}', ',', '=', '#', '\t', '\r', '\u2028', '\u0000');
/** Strings mixing ordinary text and the characters the formats must escape. */
const text = fc
  .array(fc.oneof(nasty, fc.string({ maxLength: 6 }), fc.string({ unit: 'grapheme', maxLength: 4 })), { maxLength: 5 })
  .map((parts) => parts.join(''));

const specialNumber = fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, 0.1 + 0.2, -1.5);
const number = fc.oneof(specialNumber, fc.double(), fc.integer({ min: -1e6, max: 1e9 }));
const count = fc.oneof(fc.nat({ max: 1e6 }), fc.constantFrom(0, 1, 2 ** 53));

const validKey = fc.stringMatching(/^[a-z][a-z0-9_.]{0,12}$/).filter((k) => !/^(le|otel\.scope\.)/.test(k.replace(/[^a-z0-9_]/g, '_')));
const hostileKey = fc.oneof(validKey, text, fc.constantFrom('le', 'otel.scope.name', '1abc', 'a.b', 'a_b', '__x', 'ü'));

const attributeValue = (hostile: boolean): fc.Arbitrary<AttributeValue> =>
  hostile
    ? fc.oneof(
        text,
        number,
        fc.boolean(),
        fc.array(fc.oneof(text, fc.constant(null as unknown as string)), { maxLength: 3 }),
        fc.array(fc.double(), { maxLength: 3 }),
      )
    : fc.oneof(text, fc.integer(), fc.boolean());

/** Attribute sets; without `hostile`, keys are distinct after sanitizing (Prometheus refuses duplicate labels). */
export const attributes = (hostile: boolean): fc.Arbitrary<Attributes> =>
  fc
    .dictionary(hostile ? hostileKey : validKey, attributeValue(hostile), { maxKeys: 4 })
    .filter(
      (attrs) =>
        hostile ||
        new Set(Object.keys(attrs).map((k) => k.replace(/[^a-z0-9_]/gi, '_').replace(/_{2,}/g, '_'))).size === Object.keys(attrs).length,
    );

const validName = fc.stringMatching(/^[a-z][a-z0-9_.]{0,15}$/);
const hostileName = fc.oneof(validName, text, fc.constantFrom('', '.', '_', '__', '9lives', 'a\nb', 'x\\y', 'requests_total', 'é', 'a..b'));

const boundaries = fc.oneof(
  fc
    .uniqueArray(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), { maxLength: 8 })
    .map((bs) => [...bs].sort((a, b) => a - b)),
  fc.constantFrom([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], [1e-5, 1, 1e6], [], [0]),
);

/** A histogram value; `hostile` allows counts that do not match the boundaries and an explicit +Inf bound. */
const histogram = (hostile: boolean): fc.Arbitrary<Histogram> =>
  fc
    .record({
      bounds: hostile
        ? fc.oneof(
            boundaries,
            boundaries.map((bs) => [...bs, Infinity]),
          )
        : boundaries,
      extra: hostile ? fc.integer({ min: -2, max: 2 }) : fc.constant(0),
      counts: fc.array(count, { maxLength: 20 }),
      sum: hostile ? fc.option(number, { nil: undefined }) : fc.double({ noNaN: true, min: 0, max: 1e9 }),
      empty: fc.boolean(),
    })
    .map(({ bounds, extra, counts, sum, empty }) => {
      const length = empty ? 0 : Math.max(0, bounds.length + 1 + extra);
      const bucketCounts = Array.from({ length }, (_, i) => counts[i] ?? 0);
      const total = bucketCounts.reduce((a, b) => a + b, 0);
      return { buckets: { boundaries: bounds, counts: bucketCounts }, count: total, sum, min: 0, max: 1, hasMinMax: true } as Histogram;
    });

const point = <T>(hostile: boolean, value: fc.Arbitrary<T>): fc.Arbitrary<DataPoint<T>> =>
  fc.record({ attributes: attributes(hostile), value }).map((p) => ({ ...p, startTime: TIME, endTime: TIME }));

const descriptor = (hostile: boolean): fc.Arbitrary<MetricDescriptor> =>
  fc.record({
    name: hostile ? hostileName : validName,
    description: fc.oneof(text, fc.constant('')),
    unit: fc.oneof(fc.constantFrom('', 's', '1', 'By', '{operation}', 'ms'), text),
    valueType: fc.constantFrom(ValueType.DOUBLE, ValueType.INT),
  });

const temporality = fc.constantFrom(AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA);

/** One metric of any data point type. */
export const metric = (hostile: boolean): fc.Arbitrary<MetricData> =>
  fc.oneof(
    fc
      .record({
        monotonic: fc.boolean(),
        aggregationTemporality: temporality,
        dataPoints: fc.array(point(hostile, hostile ? number : fc.double({ noNaN: true, min: 0 })), { maxLength: 4 }),
      })
      .chain(({ monotonic, ...rest }) =>
        descriptor(hostile).map((d): MetricData => ({ descriptor: d, dataPointType: DataPointType.SUM, isMonotonic: monotonic, ...rest })),
      ),
    fc
      .record({
        descriptor: descriptor(hostile),
        aggregationTemporality: temporality,
        dataPoints: fc.array(point(hostile, number), { maxLength: 4 }),
      })
      .map((m): MetricData => ({ ...m, dataPointType: DataPointType.GAUGE })),
    fc
      .record({
        descriptor: descriptor(hostile),
        aggregationTemporality: temporality,
        dataPoints: fc.array(point(hostile, histogram(hostile)), { maxLength: 4 }),
      })
      .map((m): MetricData => ({ ...m, dataPointType: DataPointType.HISTOGRAM })),
    fc
      .record({ descriptor: descriptor(hostile), aggregationTemporality: temporality, scale: fc.integer({ min: -4, max: 20 }) })
      .map(({ descriptor: d, aggregationTemporality, scale }): MetricData => ({
        descriptor: d,
        aggregationTemporality,
        dataPointType: DataPointType.EXPONENTIAL_HISTOGRAM,
        dataPoints: [
          {
            attributes: {},
            startTime: TIME,
            endTime: TIME,
            value: {
              count: 2,
              sum: 3,
              scale,
              zeroCount: 0,
              positive: { offset: 0, bucketCounts: [1, 1] },
              negative: { offset: 0, bucketCounts: [] },
            },
          },
        ],
      })),
  );

const scope = fc.record(
  {
    name: fc.oneof(text, fc.constant('@llmkg/production')),
    version: fc.option(fc.constantFrom('', '1.0.0', 'v"2"'), { nil: undefined }),
    schemaUrl: fc.option(fc.constantFrom('', 'https://opentelemetry.io/schemas/1.30.0'), { nil: undefined }),
  },
  { requiredKeys: ['name'] },
);

/** A whole collection: a resource and up to five scopes of up to five metrics. Without `hostile`, metric names are unique. */
export const resourceMetrics = (hostile: boolean): fc.Arbitrary<ResourceMetrics> =>
  fc
    .record({
      resource: attributes(hostile),
      scopeMetrics: fc.array(fc.record({ scope, metrics: fc.array(metric(hostile), { maxLength: 5 }) }), { maxLength: 5 }),
    })
    .filter((rm) => hostile || uniqueNames(rm.scopeMetrics))
    .map((rm) => ({ resource: resourceFromAttributes(rm.resource), scopeMetrics: rm.scopeMetrics }));

// Distinct after sanitizing and without the suffixes samples get, so no two families share a sample name.
function uniqueNames(scopes: readonly { metrics: readonly MetricData[] }[]): boolean {
  const names = scopes.flatMap((s) =>
    s.metrics.map((m) =>
      m.descriptor.name
        .replace(/[^a-z0-9_]/gi, '_')
        .replace(/_{2,}/g, '_')
        .replace(/_(total|count|sum|bucket|created|info)$/, ''),
    ),
  );
  return new Set(names).size === names.length && !names.includes('target');
}

/** The serializer options our reader offers. */
export const writerOptions = fc.record({
  withResourceConstantLabels: fc.option(fc.constantFrom(/service/, /.*/, /^a/, /nomatch/), { nil: undefined }),
  withoutScopeInfo: fc.boolean(),
  withoutTargetInfo: fc.boolean(),
});
