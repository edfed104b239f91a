import { DataPointType, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { MetricSnapshot, SnapshotMetric, SnapshotPoint } from '../monitoring/snapshot.js';

/** Converts one collection of the SDK into the monitor's plain snapshot. */
export function toSnapshot(resourceMetrics: ResourceMetrics, timestamp = Date.now()): MetricSnapshot {
  const metrics: SnapshotMetric[] = [];
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const { name, description, unit } = metric.descriptor;
      const base = { name, description, unit, scope: scope.scope.name };
      switch (metric.dataPointType) {
        case DataPointType.SUM:
          metrics.push({
            ...base,
            kind: metric.isMonotonic ? 'counter' : 'updowncounter',
            points: metric.dataPoints.map((p): SnapshotPoint => ({ attributes: p.attributes, value: p.value })),
          });
          break;
        case DataPointType.GAUGE:
          metrics.push({
            ...base,
            kind: 'gauge',
            points: metric.dataPoints.map((p): SnapshotPoint => ({ attributes: p.attributes, value: p.value })),
          });
          break;
        case DataPointType.HISTOGRAM:
          metrics.push({
            ...base,
            kind: 'histogram',
            points: metric.dataPoints.map((p): SnapshotPoint => ({
              attributes: p.attributes,
              value: p.value.count,
              histogram: {
                boundaries: p.value.buckets.boundaries,
                counts: p.value.buckets.counts,
                count: p.value.count,
                sum: p.value.sum ?? 0,
                ...(p.value.min !== undefined ? { min: p.value.min } : {}),
                ...(p.value.max !== undefined ? { max: p.value.max } : {}),
              },
            })),
          });
          break;
        case DataPointType.EXPONENTIAL_HISTOGRAM:
          // Count and sum only: quantile rules work on explicit-bucket histograms.
          metrics.push({
            ...base,
            kind: 'histogram',
            points: metric.dataPoints.map((p): SnapshotPoint => ({ attributes: p.attributes, value: p.value.count })),
          });
          break;
      }
    }
  }
  return { timestamp, metrics };
}
