import type { MetricData, ResourceMetrics, ScopeMetrics } from '@opentelemetry/sdk-metrics';

const scopeKey = (s: ScopeMetrics): string => `${s.scope.name}\u0000${s.scope.version ?? ''}\u0000${s.scope.schemaUrl ?? ''}`;

/**
 * One `ScopeMetrics` per instrumentation scope: a reader concatenates its producers' scopes after the SDK's,
 * so the metric cells of our scope would otherwise come as a second block of the same scope. A metric of the
 * same name and point type in both (recorded through the API before the cells were exported) gets one
 * family with the points of both, so the exposition never shows one family twice.
 */
export function mergeScopes(resourceMetrics: ResourceMetrics): ResourceMetrics {
  const scopes = resourceMetrics.scopeMetrics;
  if (scopes.length < 2) return resourceMetrics;
  const merged = new Map<string, ScopeMetrics>();
  for (const scope of scopes) {
    const key = scopeKey(scope);
    const known = merged.get(key);
    if (known === undefined) {
      merged.set(key, scope);
      continue;
    }
    const metrics: MetricData[] = [...known.metrics];
    for (const metric of scope.metrics) {
      const index = metrics.findIndex((m) => m.descriptor.name === metric.descriptor.name && m.dataPointType === metric.dataPointType);
      const same = metrics[index];
      if (same === undefined) metrics.push(metric);
      else metrics[index] = { ...same, dataPoints: [...same.dataPoints, ...metric.dataPoints] } as MetricData;
    }
    merged.set(key, { ...known, metrics });
  }
  if (merged.size === scopes.length) return resourceMetrics;
  return { resource: resourceMetrics.resource, scopeMetrics: [...merged.values()] };
}
