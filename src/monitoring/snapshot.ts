/**
 * A plain, SDK-free picture of the metrics at one collection. `src/sdk/` converts the SDK's
 * `ResourceMetrics` into this, so alert rules and `getMetrics()` need nothing but the OTel API.
 */

/** Attribute values as the metrics SDK reports them. */
export type PointAttributes = Readonly<
  Record<string, string | number | boolean | undefined | (string | number | boolean | null | undefined)[]>
>;

/** Kind of a metric stream. */
export type SnapshotMetricKind = 'counter' | 'updowncounter' | 'gauge' | 'histogram';

/** Bucket data of a histogram point (OTel form: `counts[i]` is the count in bucket i, not cumulative). */
export interface HistogramValue {
  /** Upper bounds of the finite buckets; the last bucket is +Inf. */
  readonly boundaries: readonly number[];
  /** One count per bucket, `boundaries.length + 1` in all. */
  readonly counts: readonly number[];
  readonly count: number;
  readonly sum: number;
  readonly min?: number;
  readonly max?: number;
}

/** One data point of a metric stream. */
export interface SnapshotPoint {
  readonly attributes: PointAttributes;
  /** The value of a counter, up-down counter or gauge; the count of a histogram. */
  readonly value: number;
  /** Present on histogram points. */
  readonly histogram?: HistogramValue;
}

/** One metric stream. */
export interface SnapshotMetric {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly kind: SnapshotMetricKind;
  /** Instrumentation scope that produced it. */
  readonly scope: string;
  readonly points: readonly SnapshotPoint[];
}

/** Every metric stream at one collection. */
export interface MetricSnapshot {
  /** Collection time, ms since the epoch. */
  readonly timestamp: number;
  readonly metrics: readonly SnapshotMetric[];
}

/** One point of `getMetrics()`, the seed's `MetricPoint`. */
export interface MetricPoint {
  readonly timestamp: number;
  readonly kind: SnapshotMetricKind;
  readonly unit: string;
  readonly value: number;
  readonly attributes: PointAttributes;
  readonly histogram?: HistogramValue;
}

/** Groups a snapshot's points by metric name, the shape of the seed's `get_metrics()`. */
export function pointsByName(snapshot: MetricSnapshot): Record<string, MetricPoint[]> {
  const out: Record<string, MetricPoint[]> = {};
  for (const metric of snapshot.metrics) {
    const list = (out[metric.name] ??= []);
    for (const point of metric.points) {
      list.push({
        timestamp: snapshot.timestamp,
        kind: metric.kind,
        unit: metric.unit,
        value: point.value,
        attributes: point.attributes,
        ...(point.histogram ? { histogram: point.histogram } : {}),
      });
    }
  }
  return out;
}
