import type { MatchValue } from './rule.js';
import type { MetricSnapshot, PointAttributes, SnapshotMetric, SnapshotPoint } from '../snapshot.js';

/** A snapshot's metric streams by name, built once per evaluation so rules do not scan every metric. */
export class SnapshotIndex {
  private readonly byName = new Map<string, SnapshotMetric[]>();
  /** Total points in the snapshot. */
  readonly seriesCount: number;

  constructor(readonly snapshot: MetricSnapshot) {
    let count = 0;
    for (const metric of snapshot.metrics) {
      count += metric.points.length;
      const list = this.byName.get(metric.name);
      if (list) list.push(metric);
      else this.byName.set(metric.name, [metric]);
    }
    this.seriesCount = count;
  }

  /** Streams named `name` (one per scope that reports it). */
  metrics(name: string): readonly SnapshotMetric[] {
    return this.byName.get(name) ?? [];
  }
}

/** A compiled attribute matcher. */
export type Matcher = readonly (readonly [string, MatchValue])[];

/** Compiles a rule's `match` once. */
export function compileMatch(match: Readonly<Record<string, MatchValue>>): Matcher {
  return Object.entries(match);
}

/** True when `attributes` carries every matched value (numbers and strings compare by text). */
export function matches(attributes: PointAttributes, matcher: Matcher): boolean {
  for (let i = 0; i < matcher.length; i++) {
    const [key, want] = matcher[i]!;
    const have = attributes[key];
    if (have !== want && (have === undefined || String(have) !== String(want))) return false;
  }
  return true;
}

/** Group key and labels of a point under `groupBy`; missing attributes group as the empty string. */
export function groupOf(attributes: PointAttributes, groupBy: readonly string[]): { key: string; labels: Record<string, string> } {
  if (groupBy.length === 0) return { key: '', labels: {} };
  const labels: Record<string, string> = {};
  let key = '';
  for (let i = 0; i < groupBy.length; i++) {
    const name = groupBy[i]!;
    const raw = attributes[name];
    const value = raw === undefined ? '' : String(raw);
    labels[name] = value;
    key += i === 0 ? value : `\u0000${value}`;
  }
  return { key, labels };
}

/** Visits each point of `name` that passes `matcher`. */
export function forEachPoint(
  index: SnapshotIndex,
  name: string,
  matcher: Matcher,
  visit: (point: SnapshotPoint, metric: SnapshotMetric) => void,
): void {
  for (const metric of index.metrics(name)) {
    for (const point of metric.points) {
      if (matches(point.attributes, matcher)) visit(point, metric);
    }
  }
}

/**
 * `q`-quantile of OTel bucket counts, as Prometheus' `histogram_quantile` does it: linear interpolation
 * inside the bucket holding the rank; the +Inf bucket answers with the highest finite bound. NaN when empty.
 */
export function histogramQuantile(q: number, boundaries: readonly number[], counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total <= 0 || Number.isNaN(q)) return Number.NaN;
  if (boundaries.length === 0) return Number.NaN;
  const rank = q * total;
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    const inBucket = counts[i]!;
    cumulative += inBucket;
    if (cumulative >= rank && inBucket > 0) {
      if (i >= boundaries.length) return boundaries[boundaries.length - 1]!;
      const upper = boundaries[i]!;
      const lower = i === 0 ? Math.min(0, upper) : boundaries[i - 1]!;
      const before = cumulative - inBucket;
      return lower + (upper - lower) * ((rank - before) / inBucket);
    }
  }
  return boundaries[boundaries.length - 1]!;
}
