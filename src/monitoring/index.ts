/**
 * Monitoring: OTel logs, the metrics facade, system stats, Prometheus export and alert rules evaluated on
 * our metric reader. The seed's `monitoring.rs`.
 */
export { ProductionMonitor, type ProductionMonitorOptions, type MonitoringConfigInput, type MonitorHealth } from './monitor.js';
export { monitoringConfigSchema, LOG_LEVELS, type MonitoringConfig } from './config.js';
export type { LogEntry, LogFilter } from './log-sink.js';
export type { MetricType, MetricTags, TimerHandle } from './metrics.js';
export type { SystemStats } from './system-stats.js';
export { pointsByName, type MetricPoint, type MetricSnapshot, type SnapshotMetric, type SnapshotPoint, type SnapshotMetricKind, type HistogramValue, type PointAttributes } from './snapshot.js';
export { telemetryHub, missingReadersError, type MetricsSource, type SnapshotSubscriber } from './hub.js';
export { AlertEngine, type AlertEngineOptions, type EvaluationResult } from './alerts/engine.js';
export { DEFAULT_ALERT_RULES, RUNTIME_METRIC } from './alerts/default-rules.js';
export { alertRuleSchema, parseAlertRule, type AlertRule, type AlertRuleInput, type AlertAggregation, type AlertComparison, type AlertSeverity, type MatchValue } from './alerts/rule.js';
export type { Alert, AlertState, AlertTransition, AlertNotification, ResolvedAlert } from './alerts/types.js';
export { RequestSeries, type RequestSeriesPoint } from './request-series.js';
export { recentTraces, type RecentTraceSource, type TraceSummary } from './recent-traces.js';
export { DeliveryQueue, type AlertNotifier, type DeliveryOptions, type DeliveryStats } from './alerts/notifier.js';
export { AlertmanagerNotifier, WebhookNotifier, CallbackNotifier, webhookPayloads, type WebhookPayload } from './alerts/receivers.js';
export { histogramQuantile } from './alerts/series.js';
export { fingerprint } from './alerts/labels.js';
export { LEVEL_SEVERITY } from './levels.js';
