/**
 * `@llmkg/production/sdk`: the only code that touches OpenTelemetry SDK packages. Our metric reader
 * (Prometheus exposition, alert collection, snapshots), its views, the one-line NodeSDK config, and the
 * embedded providers used when the application registered none.
 */
export { ProductionMetricReader, PROMETHEUS_CONTENT_TYPE, type ProductionReaderOptions } from './production-reader.js';
export type { AlertScheduleStats } from './alert-schedule.js';
export { toSnapshot } from './convert.js';
export {
  productionReader,
  productionMetricReaders,
  productionViews,
  productionSdkConfig,
  type ProductionSdkConfig,
  DEFAULT_CARDINALITY_LIMIT,
  type ProductionReadersOptions,
} from './readers.js';
export { ensureEmbeddedTelemetry, type EmbeddedTelemetry, type EmbeddedTelemetryOptions, type EmbeddedRegistrations } from './embedded.js';
export { RecentTracesProcessor, recentTracesProcessor, productionSpanProcessors, DEFAULT_RECENT_TRACES } from './recent-traces.js';
