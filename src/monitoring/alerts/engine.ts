import { RuleEvaluator } from './evaluate.js';
import { expandAnnotations, fingerprint, labelName } from './labels.js';
import { compare, parseAlertRule, type AlertRule, type AlertRuleInput } from './rule.js';
import { SnapshotIndex } from './series.js';
import type { Alert, AlertNotification, AlertState, AlertTransition } from './types.js';
import type { MetricSnapshot } from '../snapshot.js';

/** Settings of an {@link AlertEngine}. */
export interface AlertEngineOptions {
  /** Alert instances per rule; groups beyond are dropped and counted. */
  readonly maxInstancesPerRule: number;
  /** How often a firing alert is sent again. */
  readonly resendIntervalMs: number;
  /** Expected time between evaluations (sizes windows and `endsAt`). */
  readonly evaluationIntervalMs: number;
  /** Longest window a rule may use. */
  readonly maxWindowMs: number;
  /** Base of `generatorURL`, or a function read at each notification (the admin address is known later). */
  readonly externalUrl: string | (() => string);
  /** Each state change. */
  readonly onTransition: (transition: AlertTransition) => void;
  /** Alerts to send to receivers (firing ones due for (re)sending, and resolved ones). */
  readonly onNotify: (alerts: AlertNotification[]) => void;
}

interface Instance {
  readonly rule: AlertRule;
  readonly labels: Record<string, string>;
  readonly fingerprint: string;
  state: AlertState;
  value: number;
  annotations: Record<string, string>;
  activeAt: number;
  firedAt: number | undefined;
  /** First evaluation at which a firing alert's condition no longer held (Prometheus' KeepFiringSince). */
  keepFiringSince: number | undefined;
  lastSentAt: number | undefined;
}

interface RuleState {
  readonly rule: AlertRule;
  readonly evaluator: RuleEvaluator;
  readonly instances: Map<string, Instance>;
}

/** Outcome of one evaluation. */
export interface EvaluationResult {
  readonly at: number;
  readonly durationMs: number;
  readonly series: number;
  readonly transitions: number;
}

/**
 * Evaluates alert rules on metric snapshots with Prometheus' alert states: a holding condition makes an
 * alert pending, `forMs` later firing; a pending alert whose condition stops is dropped; a firing one is
 * resolved once the condition has not held for `keepFiringForMs`.
 */
export class AlertEngine {
  private readonly rules = new Map<string, RuleState>();
  private evaluations = 0;
  private lastEvaluation: EvaluationResult | undefined;
  private evaluationErrors = 0;

  constructor(private readonly options: AlertEngineOptions) {}

  /** Adds or replaces a rule (by name). A replaced rule's firing alerts are resolved. */
  addRule(input: AlertRuleInput, now = Date.now()): AlertRule {
    const rule = parseAlertRule(input, this.options.maxWindowMs);
    if (this.rules.has(rule.name)) this.removeRule(rule.name, now);
    const evaluator = new RuleEvaluator(rule, this.options.maxInstancesPerRule, this.options.evaluationIntervalMs);
    this.rules.set(rule.name, { rule, evaluator, instances: new Map() });
    return rule;
  }

  /** Removes a rule; its firing alerts are sent as resolved. False when no such rule. */
  removeRule(name: string, now: number): boolean {
    const state = this.rules.get(name);
    if (state === undefined) return false;
    this.rules.delete(name);
    const resolved: AlertNotification[] = [];
    for (const instance of state.instances.values()) {
      this.transition(instance, instance.state === 'firing' ? 'resolved' : 'inactive', now);
      if (instance.state === 'firing') resolved.push(this.notification(instance, 'resolved', now));
    }
    if (resolved.length > 0) this.options.onNotify(resolved);
    return true;
  }

  /** The rules, in insertion order. */
  listRules(): AlertRule[] {
    return [...this.rules.values()].map((s) => s.rule);
  }

  /** Evaluates every rule on `snapshot` at `now` (the snapshot's time by default). */
  evaluate(snapshot: MetricSnapshot, now = snapshot.timestamp): EvaluationResult {
    const started = performance.now();
    const index = new SnapshotIndex(snapshot);
    const notify: AlertNotification[] = [];
    let transitions = 0;
    for (const state of this.rules.values()) {
      try {
        transitions += this.evaluateRule(state, index, now, notify);
      } catch {
        this.evaluationErrors++;
      }
    }
    if (notify.length > 0) this.options.onNotify(notify);
    this.evaluations++;
    this.lastEvaluation = { at: now, durationMs: performance.now() - started, series: index.seriesCount, transitions };
    return this.lastEvaluation;
  }

  /** Pending and firing alerts, oldest first. */
  activeAlerts(): Alert[] {
    const out: Alert[] = [];
    for (const state of this.rules.values()) for (const instance of state.instances.values()) out.push(toAlert(instance));
    return out.sort((a, b) => a.activeAt - b.activeAt);
  }

  /** Counters for `healthCheck()`. */
  stats(): {
    rules: number;
    evaluations: number;
    lastEvaluation: EvaluationResult | undefined;
    evaluationErrors: number;
    droppedGroups: number;
    activeAlerts: number;
  } {
    let dropped = 0;
    let active = 0;
    for (const state of this.rules.values()) {
      dropped += state.evaluator.droppedGroups;
      active += state.instances.size;
    }
    return {
      rules: this.rules.size,
      evaluations: this.evaluations,
      lastEvaluation: this.lastEvaluation,
      evaluationErrors: this.evaluationErrors,
      droppedGroups: dropped,
      activeAlerts: active,
    };
  }

  private evaluateRule(state: RuleState, index: SnapshotIndex, now: number, notify: AlertNotification[]): number {
    const { rule, instances } = state;
    let transitions = 0;
    const holding = new Set<string>();
    for (const group of state.evaluator.evaluate(index, now)) {
      if (!compare(group.value, rule.comparison, rule.threshold)) continue;
      holding.add(group.key);
      let instance = instances.get(group.key);
      if (instance === undefined) {
        if (instances.size >= this.options.maxInstancesPerRule) {
          state.evaluator.droppedGroups++;
          continue;
        }
        instance = this.newInstance(rule, group.labels, group.value, now);
        instances.set(group.key, instance);
        this.transition(instance, rule.forMs === 0 ? 'firing' : 'pending', now, 'inactive');
        transitions++;
      } else {
        instance.value = group.value;
        instance.keepFiringSince = undefined;
        instance.annotations = expandAnnotations(rule.annotations, instance.labels, group.value);
        if (instance.state === 'pending' && now - instance.activeAt >= rule.forMs) {
          this.transition(instance, 'firing', now);
          transitions++;
        }
      }
    }
    for (const [key, instance] of instances) {
      if (holding.has(key)) continue;
      if (instance.state === 'pending') {
        instances.delete(key);
        this.transition(instance, 'inactive', now);
        transitions++;
      } else {
        instance.keepFiringSince ??= now;
        if (now - instance.keepFiringSince < rule.keepFiringForMs) continue;
        instances.delete(key);
        this.transition(instance, 'resolved', now);
        notify.push(this.notification(instance, 'resolved', now));
        transitions++;
      }
    }
    for (const instance of instances.values()) {
      if (instance.state !== 'firing') continue;
      if (instance.lastSentAt === undefined || now - instance.lastSentAt >= this.options.resendIntervalMs) {
        instance.lastSentAt = now;
        notify.push(this.notification(instance, 'firing', now));
      }
    }
    return transitions;
  }

  private newInstance(rule: AlertRule, groupLabels: Readonly<Record<string, string>>, value: number, now: number): Instance {
    const labels: Record<string, string> = { ...rule.labels };
    for (const [name, v] of Object.entries(groupLabels)) labels[labelName(name)] = v;
    labels.alertname = rule.name;
    labels.severity = rule.severity;
    return {
      rule,
      labels,
      fingerprint: fingerprint(labels),
      state: 'pending',
      value,
      annotations: expandAnnotations(rule.annotations, labels, value),
      activeAt: now,
      firedAt: undefined,
      keepFiringSince: undefined,
      lastSentAt: undefined,
    };
  }

  private transition(instance: Instance, to: AlertTransition['to'], now: number, from: AlertTransition['from'] = instance.state): void {
    if (to === 'firing') {
      instance.state = 'firing';
      instance.firedAt = now;
    } else if (to === 'pending') {
      instance.state = 'pending';
    }
    this.options.onTransition({ alert: toAlert(instance), from, to, at: now });
  }

  private notification(instance: Instance, status: 'firing' | 'resolved', now: number): AlertNotification {
    const validFor = 4 * Math.max(this.options.resendIntervalMs, this.options.evaluationIntervalMs);
    return {
      status,
      labels: instance.labels,
      annotations: instance.annotations,
      startsAt: new Date(instance.firedAt ?? instance.activeAt).toISOString(),
      endsAt: new Date(status === 'resolved' ? now : now + validFor).toISOString(),
      generatorURL: `${resolveUrl(this.options.externalUrl).replace(/\/+$/, '')}/status#alert-${encodeURIComponent(instance.rule.name)}`,
      fingerprint: instance.fingerprint,
    };
  }
}

function resolveUrl(url: string | (() => string)): string {
  return typeof url === 'function' ? url() : url;
}

function toAlert(instance: Instance): Alert {
  return {
    name: instance.rule.name,
    state: instance.state,
    severity: instance.rule.severity,
    labels: instance.labels,
    annotations: instance.annotations,
    value: instance.value,
    activeAt: instance.activeAt,
    firedAt: instance.firedAt,
    fingerprint: instance.fingerprint,
  };
}
