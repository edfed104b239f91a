// The exporters the OTEL_* variables ask for, for the preload's NodeSDK. Each OTLP exporter module is loaded
// only when its signal and encoding are configured, so an unused one costs no start-up time.
import { BatchLogRecordProcessor, type LogRecordExporter, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  ConsoleMetricExporter,
  PeriodicExportingMetricReader,
  type IMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { moduleRequire } from '../../internal/module-require.js';
import { markCellsCarrier, withMetricCells } from '../cells-producer.js';
import type { OtlpProtocol, PreloadSettings } from '../../register/env.js';
import { countDataPoints, ExportGuard, guardExporter, type ExportedSignal } from './export-guard.js';
import { JsonLinesLogProcessor } from './json-logs.js';
import type * as OtlpLogsHttp from '@opentelemetry/exporter-logs-otlp-http';
import type * as OtlpMetricsHttp from '@opentelemetry/exporter-metrics-otlp-http';
import type * as OtlpTraceHttp from '@opentelemetry/exporter-trace-otlp-http';

// Types only (erased): the modules themselves are loaded when configured.
type TraceModule = typeof OtlpTraceHttp;
type MetricsModule = typeof OtlpMetricsHttp;
type LogsModule = typeof OtlpLogsHttp;

const OTLP_PACKAGES = {
  trace: { 'http/json': '@opentelemetry/exporter-trace-otlp-http', 'http/protobuf': '@opentelemetry/exporter-trace-otlp-proto' },
  metrics: { 'http/json': '@opentelemetry/exporter-metrics-otlp-http', 'http/protobuf': '@opentelemetry/exporter-metrics-otlp-proto' },
  logs: { 'http/json': '@opentelemetry/exporter-logs-otlp-http', 'http/protobuf': '@opentelemetry/exporter-logs-otlp-proto' },
} as const;

/** The OTLP exporter module of one signal and encoding (the http and proto packages export the same names). */
function otlpModule<M>(kind: keyof typeof OTLP_PACKAGES, protocol: OtlpProtocol): M {
  return moduleRequire(OTLP_PACKAGES[kind][protocol]) as M;
}

/** What {@link buildExporters} returns, for the NodeSDK options. */
export interface PreloadExporters {
  readonly spanProcessors: SpanProcessor[];
  readonly metricReaders: IMetricReader[];
  readonly logRecordProcessors: LogRecordProcessor[];
  /** One per OTLP exporter, counting its failures. */
  readonly guards: ExportGuard[];
}

/** The span processors, extra metric readers and log processors the settings ask for. */
export function buildExporters(settings: PreloadSettings, report: (message: string) => void): PreloadExporters {
  const guards: ExportGuard[] = [];
  const guard = (signal: ExportedSignal, protocol: OtlpProtocol, target: string | undefined, path: string): ExportGuard => {
    const created = new ExportGuard({
      signal,
      componentType: `otlp_${protocol.replace('/', '_')}_${signal === 'metric_data_point' ? 'metric' : signal}_exporter`,
      target: target ?? `http://localhost:4318/v1/${path}`,
      report,
    });
    guards.push(created);
    return created;
  };

  const spanProcessors: SpanProcessor[] = [];
  for (const kind of settings.traces) {
    if (kind === 'console') spanProcessors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
    if (kind === 'otlp') {
      const protocol = settings.protocols.traces;
      const { OTLPTraceExporter } = otlpModule<TraceModule>('trace', protocol);
      const exporter = guardExporter<Parameters<SpanExporter['export']>[0], SpanExporter>(
        new OTLPTraceExporter(),
        guard('span', protocol, settings.endpoints.traces, 'traces'),
        (spans) => spans.length,
      );
      spanProcessors.push(new BatchSpanProcessor(exporter));
    }
  }

  // OTEL_METRIC_EXPORT_INTERVAL and _TIMEOUT: the reader does not read them itself.
  const periodic = (exporter: PushMetricExporter): IMetricReader =>
    markCellsCarrier(
      new PeriodicExportingMetricReader(
        withMetricCells({
          exporter,
          exportIntervalMillis: settings.metricExport.intervalMs,
          exportTimeoutMillis: settings.metricExport.timeoutMs,
        }),
      ),
    );
  const metricReaders: IMetricReader[] = [];
  for (const kind of settings.metrics) {
    if (kind === 'console') metricReaders.push(periodic(new ConsoleMetricExporter()));
    if (kind === 'otlp') {
      const protocol = settings.protocols.metrics;
      const { OTLPMetricExporter } = otlpModule<MetricsModule>('metrics', protocol);
      metricReaders.push(
        periodic(
          guardExporter(
            new OTLPMetricExporter(),
            guard('metric_data_point', protocol, settings.endpoints.metrics, 'metrics'),
            countDataPoints,
          ),
        ),
      );
    }
  }

  const logRecordProcessors: LogRecordProcessor[] = [];
  for (const kind of settings.logs) {
    if (kind === 'console') logRecordProcessors.push(new JsonLinesLogProcessor(process.stdout));
    if (kind === 'otlp') {
      const protocol = settings.protocols.logs;
      const { OTLPLogExporter } = otlpModule<LogsModule>('logs', protocol);
      const exporter = guardExporter<Parameters<LogRecordExporter['export']>[0], LogRecordExporter>(
        new OTLPLogExporter(),
        guard('log', protocol, settings.endpoints.logs, 'logs'),
        (records) => records.length,
      );
      logRecordProcessors.push(new BatchLogRecordProcessor({ exporter, ...settings.batchLogs }));
    }
  }
  return { spanProcessors, metricReaders, logRecordProcessors, guards };
}
