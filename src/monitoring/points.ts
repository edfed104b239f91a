import type { MetricPoint, MetricSnapshot } from './snapshot.js';

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
