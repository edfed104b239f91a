/**
 * `@llmkg/production/sdk`: the only code that touches OpenTelemetry SDK packages. Our metric reader
 * (Prometheus exposition, alert collection, snapshots), its views, the one-line NodeSDK config, and the
 * embedded providers used when the application registered none. Every public name is listed here, by name
 * (`api/production-sdk.api.md` is the report).
 */
export { ProductionMetricReader, type ProductionReaderOptions } from './production-reader.js';
export { productionPropagator, type ProductionPropagatorOptions } from './propagator.js';
export {
  negotiateExpositionFormat,
  PROMETHEUS_CONTENT_TYPE,
  OPENMETRICS_CONTENT_TYPE,
  type ExpositionFormat,
  type NegotiatedFormat,
} from './exposition/format.js';
export { ExpositionWriter, type ExpositionWriterOptions } from './exposition/writer.js';
export type { ExemplarLookup } from './exposition/openmetrics.js';
export type { Exemplar } from '../telemetry/exemplars.js';
export type { AlertScheduleStats } from './alert-schedule.js';
export {
  productionReader,
  productionMetricReaders,
  productionViews,
  productionSdkConfig,
  type ProductionSdkConfig,
  DEFAULT_CARDINALITY_LIMIT,
  type ProductionReadersOptions,
} from './readers.js';
export { withMetricCells, markCellsCarrier } from './cells-producer.js';
export {
  leanUndiciInstrumentation,
  undiciInstrumentation,
  LEAN_UNDICI_INSTRUMENTATION_NAME,
  UNDICI_INSTRUMENTATION_NAME,
} from './instrumentations.js';
export { ensureEmbeddedTelemetry, type EmbeddedTelemetry, type EmbeddedTelemetryOptions, type EmbeddedRegistrations } from './embedded.js';
export { RecentTracesProcessor, recentTracesProcessor, productionSpanProcessors, DEFAULT_RECENT_TRACES } from './recent-traces.js';
export type { MetricsSource } from '../monitoring/hub.js';
export type {
  MetricSnapshot,
  SnapshotMetric,
  SnapshotPoint,
  SnapshotMetricKind,
  HistogramValue,
  PointAttributes,
} from '../monitoring/snapshot.js';
export type { RecentTraceSource, TraceSummary } from '../monitoring/recent-traces.js';
