// The rows of /status.json built from the monitor's records (alerts, logs, traces, the request series) and the
// bounds of the document: times as ISO strings, text clipped, every list capped. status-data.ts assembles them.
import type { LogEntry } from '../monitoring/log-sink.js';
import type { Alert } from '../monitoring/alerts/types.js';
import type { TraceSummary } from '../monitoring/recent-traces.js';
import type { RequestSeriesPoint } from '../monitoring/request-series.js';
import type { AlertRow, LogRow, StatusHeadline, TraceRow } from './status-types.js';

/** Bounds of the document, so a refresh stays small whatever the process holds. */
export const STATUS_LIMITS = {
  operations: 500,
  retryBudgets: 200,
  logsDefault: 100,
  logsMax: 500,
  tracesDefault: 50,
  tracesMax: 200,
  alerts: 200,
  resolvedAlerts: 50,
  seriesPoints: 720,
  topUsers: 10,
  text: 2000,
} as const;

/** At most `max` characters, with an ellipsis when cut: names and messages from outside stay bounded. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}\u2026`;
}

export function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

export function alertRow(a: Alert, resolvedAt: number | undefined): AlertRow {
  const strings = (record: Readonly<Record<string, string>>): Record<string, string> =>
    Object.fromEntries(
      Object.entries(record)
        .slice(0, 50)
        .map(([k, v]) => [clip(k, 256), clip(v, STATUS_LIMITS.text)]),
    );
  return {
    name: clip(a.name, 256),
    state: resolvedAt === undefined ? a.state : 'resolved',
    severity: a.severity,
    value: a.value,
    since: new Date(a.activeAt).toISOString(),
    firedAt: iso(a.firedAt),
    resolvedAt: iso(resolvedAt),
    labels: strings(a.labels),
    annotations: strings(a.annotations),
  };
}

/** The headline window: the last minute of the series. */
const HEADLINE_WINDOW_MS = 60_000;

/** Errors and refusals of the calls that finished in the last minute, each as a count and a share. */
export function headline(points: readonly RequestSeriesPoint[], now: number): StatusHeadline {
  let calls = 0;
  let errors = 0;
  let refusals = 0;
  let start: number | undefined;
  let end = 0;
  let previous: number | undefined;
  for (const p of points) {
    if (p.timestamp > now - HEADLINE_WINDOW_MS) {
      // A point covers the interval since the one before it; without `calls` (a source of its own) the count
      // is estimated from the rate over that interval.
      const n = p.calls ?? (previous === undefined ? 0 : (p.requestsPerSecond * (p.timestamp - previous)) / 1000);
      start ??= previous ?? p.timestamp;
      end = p.timestamp;
      calls += n;
      errors += n * p.errorRate;
      refusals += n * (p.refusalRate ?? 0);
    }
    previous = p.timestamp;
  }
  return {
    windowSeconds: start === undefined ? 0 : Math.round((end - start) / 1000),
    calls: Math.round(calls),
    errors: Math.round(errors),
    refusals: Math.round(refusals),
    errorRate: calls > 0 ? errors / calls : 0,
    refusalRate: calls > 0 ? refusals / calls : 0,
  };
}

/** Metadata pairs shown at most per log row, and characters per key and per value. */
const LOG_FIELDS = { max: 20, key: 100, value: 200 } as const;

function logFields(metadata: Record<string, unknown>): Array<{ key: string; value: string }> {
  const out: Array<{ key: string; value: string }> = [];
  for (const key of Object.keys(metadata)) {
    if (out.length >= LOG_FIELDS.max) break;
    const value = metadata[key];
    if (value === undefined) continue;
    let text: string;
    try {
      // Numbers to at most 3 decimals (a duration of 0.5070070000001579 ms reads 0.507); `details` keeps them exact.
      text =
        typeof value === 'string'
          ? value
          : typeof value === 'number'
            ? String(Math.round(value * 1000) / 1000)
            : (JSON.stringify(value) ?? `[${typeof value}]`);
    } catch {
      text = '[unserialisable]';
    }
    out.push({ key: clip(key, LOG_FIELDS.key), value: clip(text, LOG_FIELDS.value) });
  }
  return out;
}

export function logRow(e: LogEntry): LogRow {
  let details = '';
  try {
    details = Object.keys(e.metadata).length === 0 ? '' : JSON.stringify(e.metadata);
  } catch {
    details = '[unserialisable metadata]';
  }
  return {
    timestamp: new Date(e.timestamp).toISOString(),
    level: e.level,
    component: clip(e.component, 256),
    operation: clip(e.operation, 256),
    message: clip(e.message, STATUS_LIMITS.text),
    correlationId: e.correlationId === undefined ? null : clip(e.correlationId, 256),
    traceId: e.traceId ?? null,
    details: clip(details, 500),
    fields: logFields(e.metadata),
  };
}

export function traceRow(t: TraceSummary, template: string | undefined): TraceRow {
  return {
    traceId: t.traceId,
    spanId: t.spanId,
    operation: clip(t.operation, 256),
    outcome: t.outcome,
    durationMs: Math.round(t.durationMs * 1000) / 1000,
    endedAt: new Date(t.endedAt).toISOString(),
    correlationId: t.correlationId === undefined ? null : clip(t.correlationId, 256),
    errorType: t.errorType ?? null,
    url: template === undefined ? null : template.split('{traceId}').join(encodeURIComponent(t.traceId)),
  };
}
