/**
 * Monitoring: OTel logs, the metrics facade, system stats, Prometheus export and alert rules evaluated on
 * our metric reader. The seed's `monitoring.rs`.
 */
export { ProductionMonitor, type ProductionMonitorOptions, type MonitoringConfigInput, type MonitorHealth } from './monitor.js';
export { monitoringConfigSchema, type MonitoringConfig } from './config.js';
export type { LogEntry, LogFilter, LogBufferStats } from './log-sink.js';
export type { MetricType, MetricTags, TimerHandle } from './metrics.js';
export type { SystemStats } from './system-stats.js';
export type { MetricPoint, PointAttributes, HistogramValue, SnapshotMetricKind } from './snapshot.js';
export type { EvaluationResult } from './alerts/engine.js';
export { DEFAULT_ALERT_RULES } from './alerts/default-rules.js';
export {
  alertRuleSchema,
  type AlertRule,
  type AlertRuleInput,
  type AlertAggregation,
  type AlertComparison,
  type AlertSeverity,
  type MatchValue,
} from './alerts/rule.js';
export type { Alert, AlertState, AlertNotification, ResolvedAlert } from './alerts/types.js';
export type { RequestSeriesPoint } from './request-series.js';
export type { TraceSummary } from './recent-traces.js';
export type { AlertNotifier, DeliveryOptions, DeliveryStats } from './alerts/notifier.js';
export { AlertmanagerNotifier, WebhookNotifier, CallbackNotifier, type WebhookPayload } from './alerts/receivers.js';
