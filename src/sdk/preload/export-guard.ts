// Each OTLP exporter of the preload is wrapped so that a collector that is not running is reported once
// (stderr and a log record) and then only counted, with the OTel SDK self-observability counters
// (`otel.sdk.exporter.*.exported`, `error.type` on failures), instead of flooding the log.
import { metrics, type Counter } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';

/** The signal an exporter sends, as the SDK self-observability metrics name it. */
export type ExportedSignal = 'span' | 'log' | 'metric_data_point';

/** Options of {@link ExportGuard}. */
export interface ExportGuardOptions {
  readonly signal: ExportedSignal;
  /** `otel.component.type`, e.g. `otlp_http_json_span_exporter`. */
  readonly componentType: string;
  /** Where it sends, for the message. */
  readonly target: string;
  /** Receives the one report of the first failure. */
  readonly report: (message: string) => void;
}

function errorType(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown } | undefined;
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.name === 'string' && e.name !== 'Error') return e.name;
  return '_OTHER';
}

function describe(error: unknown): string {
  const e = error as { message?: unknown; cause?: { message?: unknown } } | undefined;
  const message = typeof e?.message === 'string' && e.message !== '' ? e.message : String(error);
  const cause = typeof e?.cause?.message === 'string' && e.cause.message !== '' ? ` (${e.cause.message})` : '';
  return `${message}${cause}`;
}

/** Counts exported items and reports the first failure of one exporter once. */
export class ExportGuard {
  private counter: Counter | undefined;
  private reported = false;
  private failed = 0;
  private readonly ok: { readonly 'otel.component.type': string };

  constructor(private readonly options: ExportGuardOptions) {
    this.ok = { 'otel.component.type': options.componentType };
  }

  /** Failed export calls so far. */
  get failures(): number {
    return this.failed;
  }

  /** Records one export call of `count` items. */
  record(count: number, result: ExportResult): void {
    const { signal } = this.options;
    // The meter is taken late: at construction the MeterProvider is not registered yet.
    this.counter ??= metrics.getMeter('@llmkg/production/instrumentation').createCounter(`otel.sdk.exporter.${signal}.exported`, {
      description: `Telemetry items (${signal}) handed to the exporter, with error.type when the export failed`,
      unit: `{${signal}}`,
    });
    if (result.code === ExportResultCode.SUCCESS) {
      this.counter.add(count, this.ok);
      return;
    }
    this.failed++;
    this.counter.add(count, { ...this.ok, 'error.type': errorType(result.error) });
    if (this.reported) return;
    this.reported = true;
    this.options.report(
      `${signal} export to ${this.options.target} failed: ${describe(result.error)}; later failures are only counted in otel_sdk_exporter_${signal}_exported_total{error_type!=""}`,
    );
  }
}

/** The shape the span, log and push-metric exporters share. */
export interface GuardableExporter<T> {
  export(items: T, resultCallback: (result: ExportResult) => void): void;
}

/**
 * `inner` with its `export` results recorded by `guard`; every other member is the exporter's own (a proxy,
 * so the metric exporter's temporality and aggregation selectors are kept).
 */
export function guardExporter<T, E extends GuardableExporter<T>>(inner: E, guard: ExportGuard, count: (items: T) => number): E {
  const guardedExport: GuardableExporter<T>['export'] = (items, done) => {
    inner.export(items, (result) => {
      try {
        guard.record(count(items), result);
      } catch {
        // Counting is best effort: it must never stop the result from reaching the processor.
      }
      done(result);
    });
  };
  return new Proxy(inner, {
    get(target, property) {
      if (property === 'export') return guardedExport;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Data points in one metrics export. */
export function countDataPoints(resourceMetrics: ResourceMetrics): number {
  let n = 0;
  for (const scope of resourceMetrics.scopeMetrics) for (const metric of scope.metrics) n += metric.dataPoints.length;
  return n;
}
