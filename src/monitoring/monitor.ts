import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import type { Meter } from '@opentelemetry/api';
import type { z } from 'zod';
import { systemClock, type Clock } from '../internal/time.js';
import { parseSection } from '../internal/validation.js';
import { createGuard, type Guard } from '../guard.js';
import type { LogLevel, MonitorComponent } from '../pipeline.js';
import { getMeter, getOtelLogger, getTracer } from '../telemetry/api.js';
import { Alerting } from './alerting.js';
import { DEFAULT_ALERT_RULES } from './alerts/default-rules.js';
import type { EvaluationResult } from './alerts/engine.js';
import type { AlertNotifier, DeliveryOptions } from './alerts/notifier.js';
import { AlertmanagerNotifier, WebhookNotifier } from './alerts/receivers.js';
import type { AlertRule, AlertRuleInput } from './alerts/rule.js';
import type { Alert, ResolvedAlert } from './alerts/types.js';
import { monitoringConfigSchema, type MonitoringConfig } from './config.js';
import { missingReadersError, telemetryHub } from './hub.js';
import { LogSink, type LogEntry, type LogFilter } from './log-sink.js';
import { MetricsFacade, type MetricTags, type MetricType, type TimerHandle } from './metrics.js';
import { RequestSeries, type RequestSeriesPoint } from './request-series.js';
import { Ring } from './ring.js';
import { pointsByName } from './points.js';
import type { MetricPoint, MetricSnapshot, MonitorHealth } from './snapshot.js';

export type { MonitorHealth } from './snapshot.js';
import { leaseSystemStats, readSystemStats, type SystemStats } from './system-stats.js';

/** Input form of the monitoring config (every field optional). */
export type MonitoringConfigInput = z.input<typeof monitoringConfigSchema>;

/** Extra wiring of a {@link ProductionMonitor}. */
export interface ProductionMonitorOptions {
  /** Clock of alert evaluation and metric retention (its wall time); default the system clock. */
  readonly clock?: Clock;
  /** Notifiers besides the configured Alertmanager and webhook, e.g. a `CallbackNotifier`. */
  readonly notifiers?: readonly AlertNotifier[];
  /** Delivery settings of `notifiers` (defaults: 5 s timeout, 3 retries, 1000 queued alerts, 500 ms backoff). */
  readonly delivery?: Partial<DeliveryOptions>;
  /** Rules added after the defaults (a rule with a default's name replaces it). */
  readonly alertRules?: readonly AlertRuleInput[];
  /** Meter for the monitor's instruments (default: the API's global meter, taken now). */
  readonly meter?: Meter;
}

/**
 * Logging, metrics, system stats, Prometheus export and alerting over OpenTelemetry, the seed's
 * `ProductionMonitor`. Metrics are read back through our metric readers (`@llmkg/production/sdk`);
 * alert rules are evaluated on each collection of the alert reader.
 */
export class ProductionMonitor implements MonitorComponent {
  /** The validated config. */
  readonly config: MonitoringConfig;
  private readonly sink: LogSink;
  private readonly facade: MetricsFacade;
  private readonly alerting: Alerting;
  private readonly stats: ReturnType<typeof leaseSystemStats>;
  private readonly subscription: Guard;
  private readonly history: Ring<MetricSnapshot>;
  private readonly series: RequestSeries;
  private readonly clock: Clock;
  private activeOperations: () => number;
  private externalUrl: string;
  private closed: Promise<void> | undefined;
  private readonly runningTimers = (): number => this.facade.running.count;

  constructor(config: MonitoringConfigInput = {}, options: ProductionMonitorOptions = {}) {
    this.config = parseSection(monitoringConfigSchema, config, 'monitoring');
    const c = this.config;
    this.clock = options.clock ?? systemClock;
    const meter = options.meter ?? getMeter();
    this.sink = new LogSink(getOtelLogger(), c.logLevel, c.logBufferSize);
    this.facade = new MetricsFacade(meter, c.cardinalityLimit);
    this.activeOperations = this.runningTimers;
    this.stats = leaseSystemStats(c.statsIntervalMs, c.runtimeMetrics ? meter : undefined);
    this.externalUrl = c.externalUrl ?? `http://${hostname()}:9464`;
    const externalUrl = (): string => this.externalUrl;
    this.alerting = new Alerting({
      engine: {
        maxInstancesPerRule: c.maxAlertInstancesPerRule,
        resendIntervalMs: c.alertResendIntervalMs,
        evaluationIntervalMs: c.alertEvaluationIntervalMs,
        maxWindowMs: c.metricsRetentionMs,
        externalUrl,
      },
      log: (...args) => this.sink.log(...args),
      tracer: getTracer(),
      meter,
      clock: this.clock,
      resolvedHistory: c.resolvedAlertHistory,
    });
    if (c.alertmanager) this.alerting.addNotifier(new AlertmanagerNotifier(c.alertmanager.url), c.alertmanager);
    if (c.webhook) this.alerting.addNotifier(new WebhookNotifier(c.webhook.url, externalUrl), c.webhook);
    const delivery: DeliveryOptions = { timeoutMs: 5000, maxRetries: 3, maxQueue: 1000, backoffMs: 500, ...options.delivery };
    for (const notifier of options.notifiers ?? []) this.alerting.addNotifier(notifier, delivery);
    if (c.defaultAlertRules) for (const rule of DEFAULT_ALERT_RULES) this.alerting.addRule(rule);
    for (const rule of c.alertRules) this.alerting.addRule(rule);
    for (const rule of options.alertRules ?? []) this.alerting.addRule(rule);
    this.history = new Ring<MetricSnapshot>(Math.min(64, Math.ceil(c.metricsRetentionMs / c.alertEvaluationIntervalMs) + 1));
    this.series = new RequestSeries(Math.min(720, Math.ceil(c.requestSeriesWindowMs / c.alertEvaluationIntervalMs) + 1));
    this.subscription = telemetryHub.subscribe({ intervalMs: c.alertEvaluationIntervalMs, onSnapshot: (s) => this.onSnapshot(s) });
  }

  /**
   * Sets the base URL of alerts' `generatorURL` (and the webhook's `externalURL`). The system calls it with the
   * admin server's bound address when `monitoring.externalUrl` is not configured.
   */
  setExternalUrl(url: string): void {
    this.externalUrl = url;
  }

  /** The base URL of alerts' `generatorURL` now. */
  getExternalUrl(): string {
    return this.externalUrl;
  }

  /**
   * Makes `count` the source of `getSystemStats().activeOperations` (a `ProductionSystem` passes its count of
   * protected operations in flight); releasing the guard gives back the default, the timers running.
   */
  countActiveOperations(count: () => number): Guard {
    this.activeOperations = count;
    return createGuard(() => {
      if (this.activeOperations === count) this.activeOperations = this.runningTimers;
    });
  }

  /** Writes one log record: an OTel log record with the conventions' attributes, and an entry in the ring. */
  log(level: LogLevel, component: string, operation: string, message: string, metadata?: Record<string, unknown>): void {
    this.sink.log(level, component, operation, message, metadata);
  }

  /** Changes the minimum log level. */
  setLogLevel(level: LogLevel): void {
    this.sink.setLevel(level);
  }

  /** Recent log entries, newest first. */
  getRecentLogs(filter?: LogFilter): LogEntry[] {
    return this.sink.recent(filter);
  }

  /** Records a value on the instrument `name` (created on first use). */
  recordMetric(name: string, value: number, type: MetricType, tags?: MetricTags): void {
    this.facade.recordMetric(name, value, type, tags);
  }

  /** Adds `by` (default 1) to the counter `name`. */
  incrementCounter(name: string, tags?: MetricTags, by = 1): void {
    this.facade.recordMetric(name, by, 'counter', tags);
  }

  /** Sets the gauge `name`. */
  setGauge(name: string, value: number, tags?: MetricTags): void {
    this.facade.recordMetric(name, value, 'gauge', tags);
  }

  /** Starts timing `operation`; stopping or disposing records `production.operation.duration`. */
  startTimer(operation: string): TimerHandle {
    return this.facade.startTimer(operation);
  }

  /**
   * Every metric's points by name: the retained snapshots of the last `metricsRetentionMs` plus one
   * collected now. Throws INVALID_CONFIG when no MeterProvider has our readers.
   */
  async getMetrics(): Promise<Record<string, MetricPoint[]>> {
    const fresh = await telemetryHub.requireSource().collectSnapshot();
    const since = this.clock.wall() - this.config.metricsRetentionMs;
    const snapshots = this.history.newest(this.history.capacity, (s) => s.timestamp >= since).reverse();
    const out: Record<string, MetricPoint[]> = {};
    for (const snapshot of [...snapshots, fresh]) {
      for (const [name, points] of Object.entries(pointsByName(snapshot))) (out[name] ??= []).push(...points);
    }
    return out;
  }

  /** Process statistics (CPU, memory, event-loop delay, GC, uptime, active operations). */
  getSystemStats(): SystemStats {
    return readSystemStats(this.stats.read(), this.activeOperations());
  }

  /** The Prometheus text exposition 0.0.4, what `GET /metrics` serves a scraper that does not ask for OpenMetrics. */
  exportPrometheusMetrics(): Promise<string> {
    try {
      return telemetryHub.requireSource().prometheusText();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Answers `GET /metrics` through the reader's handler (OpenMetrics with exemplars when the `Accept` header
   * asks for it, else the text format 0.0.4); 503 with the reason when no MeterProvider has our reader.
   */
  handleMetricsRequest(request: IncomingMessage, response: ServerResponse): void {
    const source = telemetryHub.source();
    if (source !== undefined) return source.handleMetricsRequest(request, response);
    response.statusCode = 503;
    response.setHeader('content-type', 'text/plain; charset=utf-8');
    response.end(`${missingReadersError().message}\n`);
  }

  /** Adds (or replaces, by name) an alert rule. Throws INVALID_CONFIG naming the bad field. */
  addAlertRule(rule: AlertRuleInput): AlertRule {
    return this.alerting.addRule(rule);
  }

  /** Removes a rule; its firing alerts are sent as resolved. */
  removeAlertRule(name: string): boolean {
    return this.alerting.removeRule(name);
  }

  /** The alert rules. */
  getAlertRules(): AlertRule[] {
    return this.alerting.rules();
  }

  /** Pending and firing alerts. */
  getActiveAlerts(): Alert[] {
    return this.alerting.activeAlerts();
  }

  /** Alerts that fired and then resolved, newest first (bounded by `resolvedAlertHistory`). */
  getResolvedAlerts(limit?: number): ResolvedAlert[] {
    return this.alerting.resolvedAlerts(limit);
  }

  /**
   * Request rate, error rate and p99 latency of protected operations over the last
   * `requestSeriesWindowMs`, one point per alert collection, oldest first.
   */
  getRequestSeries(): RequestSeriesPoint[] {
    return this.series.points();
  }

  /** Collects now and evaluates every rule, besides the alert reader's schedule. */
  async evaluateAlerts(): Promise<EvaluationResult> {
    const snapshot = await telemetryHub.requireSource().collectSnapshot();
    return this.alerting.evaluate(snapshot);
  }

  /** Resolves when every notifier queue is idle (tests and shutdown). */
  notifiersIdle(): Promise<void> {
    return this.alerting.idle();
  }

  /** The monitor's own state: buffer use, evaluation lag, notifier queues, dropped items. */
  healthCheck(): MonitorHealth {
    const alerts = this.alerting.stats();
    const last = alerts.lastEvaluation;
    const attached = telemetryHub.source() !== undefined;
    const lag = last === undefined ? undefined : Math.max(0, this.clock.wall() - last.at);
    const problems: string[] = [];
    if (!attached) problems.push('no metric readers attached: alerts are not evaluated');
    if (lag !== undefined && lag > 3 * this.config.alertEvaluationIntervalMs) problems.push(`alert evaluation is ${lag} ms behind`);
    for (const n of alerts.notifiers)
      if (n.failed > 0 && n.sent === 0) problems.push(`notifier ${n.name} has not delivered (${n.lastError ?? 'unknown error'})`);
    return {
      status: problems.length === 0 ? 'healthy' : 'warning',
      problems,
      logBuffer: this.sink.stats(),
      metricReaders: attached ? 'attached' : 'missing',
      alerts: {
        rules: alerts.rules,
        active: alerts.activeAlerts,
        evaluations: alerts.evaluations,
        evaluationErrors: alerts.evaluationErrors,
        droppedGroups: alerts.droppedGroups,
        lastEvaluationAt: last?.at,
        lastEvaluationMs: last?.durationMs,
        evaluationLagMs: lag,
      },
      notifiers: alerts.notifiers,
      metrics: { instruments: this.facade.instruments, overflowedRecords: this.facade.overflowed, retainedSnapshots: this.history.size },
    };
  }

  /** Stops evaluation, sampling and gauges, and gives queued notifications up to `graceMs` (default 2 s). */
  shutdown(graceMs = 2000): Promise<void> {
    this.closed ??= (async () => {
      this.subscription.release();
      this.stats.guard.release();
      await this.alerting.close(graceMs);
      this.history.clear();
      this.series.clear();
    })();
    return this.closed;
  }

  private onSnapshot(snapshot: MetricSnapshot): void {
    this.history.push(snapshot);
    this.series.observe(snapshot);
    this.alerting.evaluate(snapshot);
  }
}
