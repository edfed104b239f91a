/**
 * The monitoring component's read model: its own health (`healthCheck()`, `getSystemStatus().monitoring`, the
 * status page) and a plain, SDK-free picture of the metrics at one collection. `src/sdk/` converts the SDK's
 * `ResourceMetrics` into this, so alert rules and `getMetrics()` need nothing but the OTel API.
 */
import type { CheckStatus } from '../health/status.js';

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

/** Log levels, lowest first. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'critical';

/** The recent-logs ring's use (`monitor.healthCheck().logBuffer`). */
export interface LogBufferStats {
  /** Entries held. */
  size: number;
  capacity: number;
  /** Entries overwritten by newer ones. */
  overwritten: number;
  /** Minimum level logged. */
  minLevel: LogLevel;
}

/** Delivery counters of one notifier. */
export interface DeliveryStats {
  readonly name: string;
  readonly queued: number;
  readonly inFlight: number;
  readonly sent: number;
  readonly failed: number;
  readonly dropped: number;
  readonly lastError: string | undefined;
}

/** The monitor's view of its own state. */
export interface MonitorHealth {
  readonly status: CheckStatus;
  readonly problems: string[];
  readonly logBuffer: LogBufferStats;
  readonly metricReaders: 'attached' | 'missing';
  readonly alerts: {
    readonly rules: number;
    readonly active: number;
    readonly evaluations: number;
    readonly evaluationErrors: number;
    readonly droppedGroups: number;
    readonly lastEvaluationAt: number | undefined;
    readonly lastEvaluationMs: number | undefined;
    readonly evaluationLagMs: number | undefined;
  };
  readonly notifiers: DeliveryStats[];
  readonly metrics: { readonly instruments: number; readonly overflowedRecords: number; readonly retainedSnapshots: number };
}
