import { ROOT_CONTEXT, SpanKind, type BatchObservableCallback, type Meter, type ObservableGauge, type Tracer } from '@opentelemetry/api';
import type { Clock } from '../internal/time.js';
import type { LogLevel } from '../pipeline.js';
import { ATTR, METRIC } from '../telemetry/names.js';
import { AlertEngine, type EvaluationResult } from './alerts/engine.js';
import { DeliveryQueue, type AlertNotifier, type DeliveryOptions, type DeliveryStats } from './alerts/notifier.js';
import type { AlertRule, AlertRuleInput } from './alerts/rule.js';
import type { Alert, AlertTransition, ResolvedAlert } from './alerts/types.js';
import { Ring } from './ring.js';
import type { MetricSnapshot } from './snapshot.js';

/** What alerting needs from the monitor. */
export interface AlertingOptions {
  readonly engine: Omit<ConstructorParameters<typeof AlertEngine>[0], 'onTransition' | 'onNotify'>;
  readonly log: (level: LogLevel, component: string, operation: string, message: string, metadata?: Record<string, unknown>) => void;
  readonly tracer: Tracer;
  readonly meter: Meter;
  /** Alert times are its wall time. */
  readonly clock: Clock;
  /** Resolved alerts kept (a ring); default 50. */
  readonly resolvedHistory?: number;
}

/**
 * Alert rules, their evaluation on each snapshot, the `production.alerts` gauge, and delivery to the
 * notifiers. Every transition is a log record and a span event on a short `alert` span.
 */
export class Alerting {
  private readonly engine: AlertEngine;
  private readonly queues: DeliveryQueue[] = [];
  private readonly gauge: ObservableGauge;
  private readonly observe: BatchObservableCallback;
  private lastEvaluation: EvaluationResult | undefined;
  private readonly resolved: Ring<ResolvedAlert>;

  constructor(private readonly options: AlertingOptions) {
    this.resolved = new Ring(options.resolvedHistory ?? 50);
    this.engine = new AlertEngine({
      ...options.engine,
      onTransition: (t) => this.onTransition(t),
      onNotify: (alerts) => {
        for (const queue of this.queues) queue.enqueue(alerts);
      },
    });
    this.gauge = options.meter.createObservableGauge(METRIC.alerts, {
      description: 'Active alerts: 1 per pending or firing alert',
      unit: '1',
    });
    this.observe = (result) => {
      for (const alert of this.engine.activeAlerts()) {
        result.observe(this.gauge, 1, { ...alert.labels, [ATTR.alertState]: alert.state });
      }
    };
    options.meter.addBatchObservableCallback(this.observe, [this.gauge]);
  }

  /** Adds a notifier behind its own bounded delivery queue. */
  addNotifier(notifier: AlertNotifier, delivery: DeliveryOptions): void {
    this.queues.push(new DeliveryQueue(notifier, delivery));
  }

  /** Adds or replaces a rule. */
  addRule(rule: AlertRuleInput): AlertRule {
    return this.engine.addRule(rule, this.options.clock.wall());
  }

  /** Removes a rule, resolving its firing alerts. */
  removeRule(name: string): boolean {
    return this.engine.removeRule(name, this.options.clock.wall());
  }

  /** The rules. */
  rules(): AlertRule[] {
    return this.engine.listRules();
  }

  /** Pending and firing alerts. */
  activeAlerts(): Alert[] {
    return this.engine.activeAlerts();
  }

  /** Recently resolved alerts, newest first. */
  resolvedAlerts(limit = this.resolved.capacity): ResolvedAlert[] {
    return this.resolved.newest(limit);
  }

  /** Evaluates every rule on `snapshot`. */
  evaluate(snapshot: MetricSnapshot): EvaluationResult {
    this.lastEvaluation = this.engine.evaluate(snapshot, this.options.clock.wall());
    return this.lastEvaluation;
  }

  /** Resolves once every delivery queue is idle. */
  async idle(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.idle()));
  }

  /** Engine and delivery counters. */
  stats(): ReturnType<AlertEngine['stats']> & { notifiers: DeliveryStats[] } {
    return { ...this.engine.stats(), notifiers: this.queues.map((q) => q.stats()) };
  }

  /** Stops the gauge and gives deliveries `graceMs` to finish. */
  async close(graceMs: number): Promise<void> {
    this.options.meter.removeBatchObservableCallback(this.observe, [this.gauge]);
    await Promise.all(this.queues.map((q) => q.close(graceMs)));
  }

  private onTransition(t: AlertTransition): void {
    const { alert } = t;
    if (t.to === 'resolved') this.resolved.push({ ...alert, resolvedAt: t.at });
    const level: LogLevel = t.to === 'firing' ? (alert.severity === 'critical' ? 'error' : 'warn') : 'info';
    const summary = alert.annotations.summary ?? alert.name;
    this.options.log(level, 'monitoring', 'alert', `Alert ${alert.name} ${t.from} -> ${t.to}: ${summary}`, {
      [ATTR.alertName]: alert.name,
      [ATTR.alertState]: t.to,
      [ATTR.severity]: alert.severity,
      'production.alert.value': alert.value,
      'production.alert.fingerprint': alert.fingerprint,
      'production.alert.labels': alert.labels,
    });
    const span = this.options.tracer.startSpan(
      'alert',
      {
        kind: SpanKind.INTERNAL,
        root: true,
        attributes: { [ATTR.alertName]: alert.name, [ATTR.severity]: alert.severity, [ATTR.alertState]: t.to },
      },
      ROOT_CONTEXT,
    );
    span.addEvent(
      `alert.${t.to}`,
      { 'production.alert.from': t.from, 'production.alert.value': alert.value, 'production.alert.fingerprint': alert.fingerprint },
      t.at,
    );
    span.end();
  }
}
