import type { AlertNotifier } from './notifier.js';
import type { AlertNotification } from './types.js';

/** Posts JSON and throws on a non-2xx answer, so the delivery queue retries it. */
async function postJson(url: string, body: unknown, signal: AbortSignal): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  // Read the body so the connection goes back to the pool.
  const text = await response.text();
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${text.slice(0, 200)}`);
}

/** Calls a function with each batch; the simplest receiver, for tests and in-process paging. */
export class CallbackNotifier implements AlertNotifier {
  constructor(
    private readonly callback: (alerts: readonly AlertNotification[], signal: AbortSignal) => void | Promise<void>,
    readonly name = 'callback',
  ) {}

  async notify(alerts: readonly AlertNotification[], signal: AbortSignal): Promise<void> {
    await this.callback(alerts, signal);
  }
}

/**
 * Sends alerts the way Prometheus does: POST `<url>/api/v2/alerts` with labels, annotations, `startsAt`,
 * `endsAt` and `generatorURL`, re-sent while firing (so `endsAt` keeps moving ahead) and once more on
 * resolve with `endsAt` set to the resolve time. Grouping, silences and routing are Alertmanager's.
 */
export class AlertmanagerNotifier implements AlertNotifier {
  readonly name: string;
  private readonly endpoint: string;

  constructor(baseUrl: string) {
    this.endpoint = `${baseUrl.replace(/\/+$/, '')}/api/v2/alerts`;
    this.name = `alertmanager ${baseUrl}`;
  }

  notify(alerts: readonly AlertNotification[], signal: AbortSignal): Promise<void> {
    return postJson(
      this.endpoint,
      alerts.map((a) => ({
        labels: a.labels,
        annotations: a.annotations,
        startsAt: a.startsAt,
        endsAt: a.endsAt,
        generatorURL: a.generatorURL,
      })),
      signal,
    );
  }
}

/** Alertmanager's webhook payload, version 4. */
export interface WebhookPayload {
  readonly version: '4';
  readonly groupKey: string;
  readonly truncatedAlerts: number;
  readonly status: 'firing' | 'resolved';
  readonly receiver: string;
  readonly groupLabels: Record<string, string>;
  readonly commonLabels: Record<string, string>;
  readonly commonAnnotations: Record<string, string>;
  readonly externalURL: string;
  readonly alerts: readonly AlertNotification[];
}

/** Alertmanager writes the zero time as `endsAt` of firing alerts in webhook payloads. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

function common(maps: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  const [first, ...rest] = maps;
  const out: Record<string, string> = {};
  if (!first) return out;
  for (const [k, v] of Object.entries(first)) if (rest.every((m) => m[k] === v)) out[k] = v;
  return out;
}

/** Builds the v4 webhook payloads of a batch: one per alertname, as Alertmanager groups by default. */
export function webhookPayloads(alerts: readonly AlertNotification[], receiver: string, externalURL: string): WebhookPayload[] {
  const groups = new Map<string, AlertNotification[]>();
  for (const alert of alerts) {
    const name = alert.labels.alertname ?? '';
    const list = groups.get(name);
    if (list) list.push(alert);
    else groups.set(name, [alert]);
  }
  const out: WebhookPayload[] = [];
  for (const [name, group] of groups) {
    const groupLabels = { alertname: name };
    out.push({
      version: '4',
      groupKey: `{}:{alertname=${JSON.stringify(name)}}`,
      truncatedAlerts: 0,
      status: group.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
      receiver,
      groupLabels,
      commonLabels: common(group.map((a) => a.labels)),
      commonAnnotations: common(group.map((a) => a.annotations)),
      externalURL,
      alerts: group.map((a) => ({
        status: a.status,
        labels: a.labels,
        annotations: a.annotations,
        startsAt: a.startsAt,
        endsAt: a.status === 'firing' ? ZERO_TIME : a.endsAt,
        generatorURL: a.generatorURL,
        fingerprint: a.fingerprint,
      })),
    });
  }
  return out;
}

/** Posts Alertmanager's webhook payload (version 4) to a URL, for receivers without an Alertmanager. */
export class WebhookNotifier implements AlertNotifier {
  readonly name: string;

  constructor(
    private readonly url: string,
    /** Alertmanager's `externalURL` of the payload; a function is read at each send. */
    private readonly externalURL: string | (() => string),
    private readonly receiver = 'llmkg-production',
  ) {
    this.name = `webhook ${url}`;
  }

  async notify(alerts: readonly AlertNotification[], signal: AbortSignal): Promise<void> {
    const externalURL = typeof this.externalURL === 'function' ? this.externalURL() : this.externalURL;
    for (const payload of webhookPayloads(alerts, this.receiver, externalURL)) await postJson(this.url, payload, signal);
  }
}
