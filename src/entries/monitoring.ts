/**
 * `@llmkg/production/monitoring`: the monitor (`system.components.monitor`: OTel logs, the metrics facade,
 * system stats), alert rules evaluated on our metric reader and the notifiers that deliver them.
 * `api/production-monitoring.api.md` is the report of this surface. The types
 * its signatures share with the root entry are exported there (`@llmkg/production`), not again here.
 *
 * @module @llmkg/production/monitoring
 */
export {
  ProductionMonitor,
  monitoringConfigSchema,
  DEFAULT_ALERT_RULES,
  alertRuleSchema,
  AlertmanagerNotifier,
  WebhookNotifier,
  CallbackNotifier,
  type AlertAggregation,
  type AlertComparison,
  type MatchValue,
  type WebhookPayload,
} from '../monitoring/index.js';
