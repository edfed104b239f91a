import { setImmediate as nextTurn } from 'node:timers/promises';
import { diag } from '@opentelemetry/api';
import { DataPointType, type DataPoint, type Histogram, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { exemplarStoreFor } from '../../telemetry/exemplars.js';
import type { ExpositionFormat } from './format.js';
import { braces, constantLabels, joinLabels, renderAttributes, scopeLabels, type ScopeLabels } from './labels.js';
import {
  familyHeader,
  openMetricsFamilies,
  openMetricsHistogram,
  openMetricsTargetInfo,
  openMetricsValue,
  prometheusName,
  type ExemplarLookup,
} from './openmetrics.js';
import { bucketLabels, escapeHelp, valueString } from './text.js';

/** Options of {@link ExpositionWriter}. */
export interface ExpositionWriterOptions {
  /** Resource attributes to copy onto every series as labels. */
  readonly withResourceConstantLabels?: RegExp | undefined;
  /** Leave out the `otel_scope_*` labels. */
  readonly withoutScopeInfo?: boolean | undefined;
  /** Leave out the `target_info` series. */
  readonly withoutTargetInfo?: boolean | undefined;
  /** Longest synchronous stretch of {@link ExpositionWriter.write} before it yields to the event loop; default 4 ms. */
  readonly sliceMs?: number | undefined;
  /** Monotonic clock in ms that times the slices (default `performance.now`). */
  readonly clock?: (() => number) | undefined;
  /** Exemplars of a metric by its OTel name (OpenMetrics only); default: the process-wide exemplar stores. */
  readonly exemplars?: ((metricName: string) => ExemplarLookup | undefined) | undefined;
}

/** Default slice: well under the 20 ms a scrape may hold the event loop, yet few yields per scrape. */
export const DEFAULT_SLICE_MS = 4;
// Every this many points the text is flattened and the clock read, so neither costs anything measurable.
const POINTS_PER_SEAL = 16;

/**
 * Text collected between two yields. `text` grows by many small concatenations (a rope of short-lived
 * strings); every few points it is flattened and appended to `pending`, and once that passes
 * {@link LARGE_STRING} characters it is flattened into `chunk`. So what is held until the next yield is a
 * few large strings, which V8 allocates outside the young generation, rather than a hundred thousand
 * small ones that every young-generation GC would copy (tens of ms at 10,000 series).
 */
class Output {
  text = '';
  private pending = '';
  private chunk = '';

  seal(): void {
    if (this.text === '') return;
    this.pending += flat(this.text);
    this.text = '';
    if (this.pending.length >= LARGE_STRING) {
      this.chunk += flat(this.pending);
      this.pending = '';
    }
  }

  take(): string {
    this.seal();
    const chunk = this.chunk + this.pending;
    this.chunk = '';
    this.pending = '';
    return chunk;
  }
}

// Above V8's largest regular heap object (128 KiB), so the flattened string goes to large-object space.
const LARGE_STRING = 256 * 1024;

/** `text` as one sequential string: reading a character makes V8 flatten a rope. */
function flat(text: string): string {
  text.charCodeAt(0);
  return text;
}

const PROMETHEUS_TYPES: Record<number, string> = {
  [DataPointType.GAUGE]: 'gauge',
  [DataPointType.HISTOGRAM]: 'histogram',
};

/**
 * Writes collected `ResourceMetrics` as the Prometheus text format 0.0.4, byte for byte what
 * `@opentelemetry/exporter-prometheus` 0.223's `PrometheusSerializer` writes for the same data and
 * options (the differential test keeps it so), or as OpenMetrics 1.0 with exemplars. Faster than that
 * serializer because it renders each scope's labels once, each point's labels once for all its
 * buckets, and escapes only strings that need it. `write()` yields to the event loop every
 * `sliceMs`, so a scrape of many series never stalls the requests in flight.
 */
export class ExpositionWriter {
  private readonly sliceMs: number;
  private readonly clock: () => number;
  private readonly exemplars: (metricName: string) => ExemplarLookup | undefined;

  constructor(private readonly options: ExpositionWriterOptions = {}) {
    this.sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
    this.clock = options.clock ?? (() => performance.now());
    this.exemplars = options.exemplars ?? exemplarStoreFor;
  }

  /** The whole exposition at once, without yielding (for small data and for tests). */
  serialize(resourceMetrics: ResourceMetrics, format: ExpositionFormat = 'prometheus'): string {
    const out = new Output();
    const steps = this.steps(resourceMetrics, format, out, Infinity);
    while (!steps.next().done);
    return out.take();
  }

  /**
   * The exposition in chunks handed to `sink`, yielding to the event loop after each chunk. Stops early,
   * without error, once `cancelled()` is true (e.g. the scraper went away).
   */
  async write(
    resourceMetrics: ResourceMetrics,
    format: ExpositionFormat,
    sink: (chunk: string) => void,
    cancelled?: () => boolean,
  ): Promise<void> {
    const out = new Output();
    for (const _ of this.steps(resourceMetrics, format, out, this.sliceMs)) {
      const chunk = out.take();
      if (chunk !== '') sink(chunk);
      await nextTurn();
      if (cancelled?.() === true) return;
    }
    const chunk = out.take();
    if (chunk !== '') sink(chunk);
  }

  /** The exposition as one string, written in slices that yield to the event loop. */
  async text(resourceMetrics: ResourceMetrics, format: ExpositionFormat): Promise<string> {
    let text = '';
    await this.write(resourceMetrics, format, (chunk) => {
      text += chunk;
    });
    return text;
  }

  /** Writes into `out`, pausing (yielding) whenever a slice of `sliceMs` is used up. */
  private *steps(resourceMetrics: ResourceMetrics, format: ExpositionFormat, out: Output, sliceMs: number): Generator<void, void, void> {
    const timed = sliceMs !== Infinity;
    let sliceStart = timed ? this.clock() : 0;
    let written = 0;
    const points = format === 'openmetrics' ? this.openMetricsPoints(resourceMetrics, out) : this.prometheusPoints(resourceMetrics, out);
    for (const _ of points) {
      if (++written % POINTS_PER_SEAL !== 0) continue;
      out.seal();
      if (timed && this.clock() - sliceStart >= sliceMs) {
        yield;
        sliceStart = this.clock();
      }
    }
  }

  /** Text format 0.0.4; yields once per point written. */
  private *prometheusPoints(resourceMetrics: ResourceMetrics, out: Output): Generator<void, void, void> {
    const { resource } = resourceMetrics;
    const constant = constantLabels(resource.attributes, this.options.withResourceConstantLabels);
    if (this.options.withoutTargetInfo !== true) {
      out.text += `# HELP target_info Target metadata\n# TYPE target_info gauge\ntarget_info${braces(renderAttributes(resource.attributes))} 1\n`;
    }
    let wrote = false;
    for (const scopeMetrics of resourceMetrics.scopeMetrics) {
      let labels: ScopeLabels | undefined;
      for (const metric of scopeMetrics.metrics) {
        const base = prometheusName(metric.descriptor.name);
        if (base === undefined) continue;
        wrote = true;
        labels ??= scopeLabels(scopeMetrics.scope, constant, this.options.withoutScopeInfo === true);
        const counter = metric.dataPointType === DataPointType.SUM && metric.isMonotonic;
        const name = counter && !base.endsWith('_total') ? `${base}_total` : base;
        const { description, unit } = metric.descriptor;
        const type =
          metric.dataPointType === DataPointType.SUM
            ? counter
              ? 'counter'
              : 'gauge'
            : (PROMETHEUS_TYPES[metric.dataPointType] ?? 'untyped');
        out.text += `# HELP ${name} ${escapeHelp(description || 'description missing')}${unit ? `\n# UNIT ${name} ${escapeHelp(unit)}` : ''}\n# TYPE ${name} ${type}\n`;
        yield* this.prometheusSamples(metric, name, labels, out);
      }
    }
    if (!wrote) out.text += '# no registered metrics';
  }

  private *prometheusSamples(metric: MetricData, name: string, labels: ScopeLabels, out: Output): Generator<void, void, void> {
    switch (metric.dataPointType) {
      case DataPointType.SUM:
      case DataPointType.GAUGE:
        for (const point of metric.dataPoints) {
          out.text += `${name}${braces(joinLabels(renderAttributes(point.attributes), labels.plain))} ${valueString(point.value)}\n`;
          yield;
        }
        return;
      case DataPointType.HISTOGRAM:
        for (const point of metric.dataPoints) {
          out.text += prometheusHistogram(name, labels, point);
          yield;
        }
        return;
      default:
        diag.error(`Unrecognizable DataPointType: ${metric.dataPointType} for metric "${name}"`);
    }
  }

  /** OpenMetrics 1.0: families, target info as `info`, exemplars on histogram buckets, `# EOF`. */
  private *openMetricsPoints(resourceMetrics: ResourceMetrics, out: Output): Generator<void, void, void> {
    if (this.options.withoutTargetInfo !== true) out.text += openMetricsTargetInfo(resourceMetrics.resource.attributes);
    const families = openMetricsFamilies(resourceMetrics, {
      withResourceConstantLabels: this.options.withResourceConstantLabels,
      withoutScopeInfo: this.options.withoutScopeInfo === true,
    });
    for (const family of families) {
      out.text += familyHeader(family);
      for (const { metric, labels } of family.members) {
        if (metric.dataPointType === DataPointType.HISTOGRAM) {
          const lookup = this.exemplars(metric.descriptor.name);
          for (const point of metric.dataPoints) {
            out.text += openMetricsHistogram(family, labels, point, lookup);
            yield;
          }
        } else if (metric.dataPointType === DataPointType.SUM || metric.dataPointType === DataPointType.GAUGE) {
          for (const point of metric.dataPoints) {
            out.text += openMetricsValue(family, labels, point);
            yield;
          }
        }
      }
    }
    out.text += '# EOF\n';
  }
}

/** A histogram point in the text format, in the exporter's order: `_count`, `_sum`, then cumulative buckets. */
function prometheusHistogram(name: string, labels: ScopeLabels, point: DataPoint<Histogram>): string {
  const own = renderAttributes(point.attributes);
  const shared = braces(joinLabels(own, labels.plain));
  const { count, sum, buckets } = point.value;
  let out = '';
  if (count != null) out += `${name}_count${shared} ${valueString(count)}\n`;
  if (sum != null) out += `${name}_sum${shared} ${valueString(sum)}\n`;
  const { boundaries, counts } = buckets;
  const les = bucketLabels(boundaries).text;
  const prefix = `${name}_bucket{${own === '' ? '' : `${own},`}${labels.bucketHead}`;
  const close = `${labels.bucketTail}} `;
  let cumulative = 0;
  let infinite = false;
  for (let i = 0; i < counts.length; i++) {
    cumulative += counts[i]!;
    const bound = boundaries[i];
    // As the exporter does: after an explicit Infinity bound, the extra +Inf count the SDK adds is skipped.
    if (bound === undefined && infinite) break;
    if (bound === Infinity) infinite = true;
    out += `${prefix}${les[i] ?? '+Inf'}${close}${valueString(cumulative)}\n`;
  }
  return out;
}
