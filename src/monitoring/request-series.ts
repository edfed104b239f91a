import { ATTR, METRIC } from '../telemetry/names.js';
import { histogramQuantile } from './alerts/series.js';
import { Ring } from './ring.js';
import type { MetricSnapshot } from './snapshot.js';

/** One point of the request series: what happened between two collections. */
export interface RequestSeriesPoint {
  /** Collection time, ms since the epoch. */
  readonly timestamp: number;
  /** Finished protected operations per second over the interval. */
  readonly requestsPerSecond: number;
  /** Share of them that failed (`production.outcome` = `error`), 0..1; 0 with no calls. */
  readonly errorRate: number;
  /** Share of them that were refused without running to the end (`production.outcome` = `rejected`), 0..1. */
  readonly refusalRate?: number;
  /** Finished calls in the interval (the weight of the rates when points are summed over a window). */
  readonly calls?: number;
  /** p99 duration over the interval in ms (bucket interpolation, like `histogram_quantile`); null with no calls. */
  readonly p99Ms: number | null;
}

interface Totals {
  readonly at: number;
  readonly count: number;
  readonly errors: number;
  readonly refusals: number;
  readonly boundaries: readonly number[];
  readonly buckets: Float64Array;
}

/**
 * Request rate, error rate and p99 latency of the last minutes, from the cumulative
 * `production.operation.duration` histogram of successive snapshots (the monitor's alert collections):
 * each point is the difference of two collections, so no timer and no per-call work of its own. A ring
 * bounds it; a counter reset (a smaller total) starts the difference afresh.
 */
export class RequestSeries {
  private readonly ring: Ring<RequestSeriesPoint>;
  private previous: Totals | undefined;

  constructor(capacity: number) {
    this.ring = new Ring(capacity);
  }

  /** Adds the point between the previous snapshot and this one. */
  observe(snapshot: MetricSnapshot): void {
    const current = totals(snapshot);
    const previous = this.previous;
    this.previous = current;
    if (previous === undefined || current.at <= previous.at) return;
    const reset = current.count < previous.count || !sameBounds(previous.boundaries, current.boundaries);
    const calls = reset ? current.count : current.count - previous.count;
    const errors = reset ? current.errors : Math.max(0, current.errors - previous.errors);
    const refusals = reset ? current.refusals : Math.max(0, current.refusals - previous.refusals);
    const delta = new Float64Array(current.buckets.length);
    for (let i = 0; i < delta.length; i++) delta[i] = Math.max(0, current.buckets[i]! - (reset ? 0 : previous.buckets[i]!));
    const p99 = calls > 0 ? histogramQuantile(0.99, current.boundaries, delta) : Number.NaN;
    this.ring.push({
      timestamp: current.at,
      requestsPerSecond: (calls * 1000) / (current.at - previous.at),
      errorRate: calls > 0 ? errors / calls : 0,
      refusalRate: calls > 0 ? refusals / calls : 0,
      calls,
      p99Ms: Number.isFinite(p99) ? p99 * 1000 : null,
    });
  }

  /** The points, oldest first. */
  points(): RequestSeriesPoint[] {
    return this.ring.newest(this.ring.capacity).reverse();
  }

  /** Points the ring holds at most. */
  get capacity(): number {
    return this.ring.capacity;
  }

  /** Forgets everything. */
  clear(): void {
    this.ring.clear();
    this.previous = undefined;
  }
}

function totals(snapshot: MetricSnapshot): Totals {
  let count = 0;
  let errors = 0;
  let refusals = 0;
  let boundaries: readonly number[] = [];
  let buckets = new Float64Array(0);
  for (const metric of snapshot.metrics) {
    if (metric.name !== METRIC.operationDuration || metric.kind !== 'histogram') continue;
    for (const point of metric.points) {
      const h = point.histogram;
      if (h === undefined) continue;
      count += h.count;
      if (point.attributes[ATTR.outcome] === 'error') errors += h.count;
      else if (point.attributes[ATTR.outcome] === 'rejected') refusals += h.count;
      if (buckets.length === 0) {
        boundaries = h.boundaries;
        buckets = new Float64Array(h.counts.length);
      }
      // Every point of our histogram shares the advice boundaries; a stray one with others is left out of p99.
      if (h.counts.length === buckets.length) for (let i = 0; i < buckets.length; i++) buckets[i] = buckets[i]! + h.counts[i]!;
    }
  }
  return { at: snapshot.timestamp, count, errors, refusals, boundaries, buckets };
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
