// The demo's view of alerts, from the service's /metrics: which fire now and which fired and resolved since
// the demo began. The `production_alerts` gauge has a series at 1 per pending or firing alert; a resolved
// alert's series is gone from the next scrape.

/** Firing alerts in one /metrics text, as "Name (operation)" or "Name". @param {string} text */
export function firingAlerts(text) {
  const firing = new Set();
  for (const line of text.split('\n')) {
    if (!line.startsWith('production_alerts{') || !line.includes('alertstate="firing"') || !line.endsWith(' 1')) continue;
    const name = /alertname="([^"]+)"/.exec(line)?.[1];
    const op = /production_operation_name="([^"]+)"/.exec(line)?.[1];
    if (name !== undefined) firing.add(op ? `${name} (${op})` : name);
  }
  return firing;
}

/** Alerts across scrapes: firing at the last one, and resolved (fired earlier, not firing now). */
export class AlertTracker {
  constructor() {
    /** @type {Set<string>} */
    this.now = new Set();
    /** @type {Set<string>} */
    this.ever = new Set();
  }

  /** Takes one scrape's text. @param {string} text */
  update(text) {
    this.now = firingAlerts(text);
    for (const alert of this.now) this.ever.add(alert);
  }

  /** Alerts that fired and are not firing now. */
  get resolved() {
    return [...this.ever].filter((alert) => !this.now.has(alert));
  }

  /** One phrase for the progress line and the summary. */
  describe() {
    const list = (alerts) => (alerts.length === 0 ? 'none' : alerts.join(', '));
    return `firing now: ${list([...this.now])}; resolved: ${list(this.resolved)}`;
  }
}
