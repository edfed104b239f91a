'use strict';
// Exporters for the preload. Each OTLP exporter is wrapped so that a collector that is not running is
// reported once (stderr and a log record) and then only counted, with the OTel SDK self-observability
// counters (`otel.sdk.exporter.*.exported`, `error.type` on failures), instead of flooding the log.
const path = require('node:path');
const { metrics } = require('@opentelemetry/api');
const { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { BatchLogRecordProcessor } = require('@opentelemetry/sdk-logs');
const { PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
const { JsonLinesLogProcessor } = require('./json-logs.js');

const SUCCESS = 0;
const SDK_NODE_DIR = path.dirname(require.resolve('@opentelemetry/sdk-node/package.json'));

/**
 * The protobuf exporters are dependencies of @opentelemetry/sdk-node, so they are resolved from there.
 * @param {'trace' | 'metrics' | 'logs'} kind @param {'http/json' | 'http/protobuf'} protocol
 */
function otlpModule(kind, protocol) {
  const name = `@opentelemetry/exporter-${kind}-otlp-${protocol === 'http/json' ? 'http' : 'proto'}`;
  return protocol === 'http/json' ? require(name) : require(require.resolve(name, { paths: [SDK_NODE_DIR] }));
}

/** @param {unknown} error @returns {string} */
function errorType(error) {
  const e = /** @type {{ code?: unknown, name?: unknown } | undefined} */ (error);
  if (e && typeof e.code === 'string') return e.code;
  if (e && typeof e.name === 'string' && e.name !== 'Error') return e.name;
  return '_OTHER';
}

/** @param {unknown} error @returns {string} */
function describe(error) {
  const e = /** @type {{ message?: unknown, cause?: { message?: unknown } } | undefined} */ (error);
  const cause = e?.cause?.message ? ` (${String(e.cause.message)})` : '';
  return `${e?.message ? String(e.message) : String(error)}${cause}`;
}

/**
 * Counts exported items and reports the first failure of each exporter once.
 * @param {object} options
 * @param {string} options.signal `span`, `log` or `metric_data_point`
 * @param {string} options.componentType e.g. `otlp_http_json_span_exporter`
 * @param {string} options.target where it sends, for the message
 * @param {(message: string) => void} options.report
 */
function createExportGuard({ signal, componentType, target, report }) {
  let counter;
  let reported = false;
  let failures = 0;
  const ok = { 'otel.component.type': componentType };
  return {
    get failures() {
      return failures;
    },
    /** @param {number} count @param {{ code: number, error?: unknown }} result */
    record(count, result) {
      // The meter is taken late: at construction the MeterProvider is not registered yet.
      counter ??= metrics
        .getMeter('@llmkg/production/instrumentation')
        .createCounter(`otel.sdk.exporter.${signal}.exported`, { description: `Telemetry items (${signal}) handed to the exporter, with error.type when the export failed`, unit: `{${signal}}` });
      if (result.code === SUCCESS) {
        counter.add(count, ok);
        return;
      }
      failures++;
      counter.add(count, { ...ok, 'error.type': errorType(result.error) });
      if (reported) return;
      reported = true;
      report(`${signal} export to ${target} failed: ${describe(result.error)}; later failures are only counted in otel_sdk_exporter_${signal}_exported_total{error_type!=""}`);
    },
  };
}

/**
 * @template T
 * @param {any} inner an exporter
 * @param {ReturnType<typeof createExportGuard>} guard
 * @param {(items: T) => number} count
 */
function guardExporter(inner, guard, count) {
  /** @type {Record<string, unknown>} */
  const wrapped = {};
  for (const method of ['forceFlush', 'shutdown', 'selectAggregationTemporality', 'selectAggregation']) {
    if (typeof inner[method] === 'function') wrapped[method] = inner[method].bind(inner);
  }
  wrapped.export = (/** @type {T} */ items, /** @type {(r: any) => void} */ done) => {
    inner.export(items, (/** @type {{ code: number, error?: unknown }} */ result) => {
      try {
        guard.record(count(items), result);
      } finally {
        done(result);
      }
    });
  };
  return wrapped;
}

/** @param {any} resourceMetrics */
function countDataPoints(resourceMetrics) {
  let n = 0;
  for (const scope of resourceMetrics.scopeMetrics ?? []) for (const metric of scope.metrics ?? []) n += metric.dataPoints?.length ?? 0;
  return n;
}

/** The OTEL_BLRP_* settings (validated integers), which the log processor does not read itself. @param {NodeJS.ProcessEnv} env */
function batchLogOptions(env) {
  /** @type {Record<string, number>} */
  const out = {};
  const names = { maxQueueSize: 'OTEL_BLRP_MAX_QUEUE_SIZE', scheduledDelayMillis: 'OTEL_BLRP_SCHEDULE_DELAY', exportTimeoutMillis: 'OTEL_BLRP_EXPORT_TIMEOUT', maxExportBatchSize: 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE' };
  for (const [key, name] of Object.entries(names)) if (env[name]?.trim()) out[key] = Number(env[name]);
  return out;
}

/** A processor that keeps spans local: a tracer provider is still registered, so IDs and parents exist. */
const LOCAL_ONLY = { onStart() {}, onEnd() {}, forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() };

/**
 * The NodeSDK options for traces, OTLP metrics and logs, from {@link readOtelEnv}'s result.
 * @param {ReturnType<typeof import('./env.js').readOtelEnv>} settings
 * @param {(message: string) => void} report
 */
function buildExporters(settings, report) {
  const guards = [];
  const spanProcessors = [];
  for (const kind of settings.traces) {
    if (kind === 'console') spanProcessors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
    if (kind === 'otlp') {
      const protocol = settings.protocols.traces;
      const guard = createExportGuard({ signal: 'span', componentType: `otlp_${protocol.replace('/', '_')}_span_exporter`, target: settings.endpoints.traces ?? 'http://localhost:4318/v1/traces', report });
      guards.push(guard);
      const { OTLPTraceExporter } = otlpModule('trace', protocol);
      spanProcessors.push(new BatchSpanProcessor(guardExporter(new OTLPTraceExporter(), guard, (spans) => spans.length)));
    }
  }
  if (spanProcessors.length === 0) spanProcessors.push(LOCAL_ONLY);

  const metricReaders = [];
  if (settings.metrics.includes('otlp')) {
    const protocol = settings.protocols.metrics;
    const guard = createExportGuard({ signal: 'metric_data_point', componentType: `otlp_${protocol.replace('/', '_')}_metric_exporter`, target: settings.endpoints.metrics ?? 'http://localhost:4318/v1/metrics', report });
    guards.push(guard);
    const { OTLPMetricExporter } = otlpModule('metrics', protocol);
    metricReaders.push(new PeriodicExportingMetricReader({ exporter: guardExporter(new OTLPMetricExporter(), guard, countDataPoints) }));
  }

  const logRecordProcessors = [];
  for (const kind of settings.logs) {
    if (kind === 'console') logRecordProcessors.push(new JsonLinesLogProcessor(process.stdout));
    if (kind === 'otlp') {
      const protocol = settings.protocols.logs;
      const guard = createExportGuard({ signal: 'log', componentType: `otlp_${protocol.replace('/', '_')}_log_exporter`, target: settings.endpoints.logs ?? 'http://localhost:4318/v1/logs', report });
      guards.push(guard);
      const { OTLPLogExporter } = otlpModule('logs', protocol);
      logRecordProcessors.push(new BatchLogRecordProcessor({ exporter: guardExporter(new OTLPLogExporter(), guard, (records) => records.length), ...batchLogOptions(process.env) }));
    }
  }
  return { spanProcessors, metricReaders, logRecordProcessors, guards };
}

module.exports = { buildExporters, createExportGuard, guardExporter };
