import type { AlertSeverity } from './rule.js';

/** State of an active alert instance (inactive ones are not kept). */
export type AlertState = 'pending' | 'firing';

/** One active alert instance: a rule and one label set, the seed's `Alert`. */
export interface Alert {
  /** The rule's name, also the `alertname` label. */
  readonly name: string;
  readonly state: AlertState;
  readonly severity: AlertSeverity;
  /** alertname, severity, the rule's labels and the group's labels. */
  readonly labels: Readonly<Record<string, string>>;
  /** The rule's annotations with `$value` and `$labels` filled in. */
  readonly annotations: Readonly<Record<string, string>>;
  /** The aggregated value at the last evaluation (while `keepFiringFor` holds it, the last value that matched). */
  readonly value: number;
  /** When the condition started holding (ms since the epoch). */
  readonly activeAt: number;
  /** When it started firing. */
  readonly firedAt: number | undefined;
  /** Alertmanager's fingerprint of `labels`. */
  readonly fingerprint: string;
}

/** A firing alert that has resolved, as kept in the monitor's bounded history. */
export interface ResolvedAlert extends Alert {
  /** When it resolved (ms since the epoch). */
  readonly resolvedAt: number;
}

/** A state change of one alert instance. `resolved` is firing → inactive; `inactive` is pending → inactive. */
export interface AlertTransition {
  readonly alert: Alert;
  readonly from: 'inactive' | AlertState;
  readonly to: AlertState | 'inactive' | 'resolved';
  readonly at: number;
}

/** What receivers get, the fields of an Alertmanager alert. */
export interface AlertNotification {
  readonly status: 'firing' | 'resolved';
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** ISO time the alert started firing. */
  readonly startsAt: string;
  /** ISO time after which Alertmanager treats it as resolved unless re-sent; the resolve time once resolved. */
  readonly endsAt: string;
  readonly generatorURL: string;
  readonly fingerprint: string;
}
