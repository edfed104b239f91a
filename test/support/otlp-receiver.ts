import { createServer, type Server } from 'node:http';
import { freePort } from './helpers.js';

// A minimal OTLP/HTTP receiver for tests: decodes the JSON encoding the real exporters send (traces and
// logs; metric requests are counted and their metric names kept), so tests assert on what would reach a
// collector. A per-signal delay before answering stands in for a slow collector.

/** One span, attributes flattened. */
export interface ReceivedSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, string | number | boolean>;
}

/** One log record, attributes flattened. */
export interface ReceivedLog {
  body: unknown;
  severityText: string;
  traceId: string;
  spanId: string;
  attributes: Record<string, string | number | boolean>;
}

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
type KeyValues = Array<{ key: string; value: AnyValue }> | undefined;
interface Body {
  resourceSpans?: Array<{
    scopeSpans?: Array<{
      spans?: Array<{ name: string; kind?: number; traceId: string; spanId: string; parentSpanId?: string; attributes?: KeyValues }>;
    }>;
  }>;
  resourceLogs?: Array<{
    scopeLogs?: Array<{
      logRecords?: Array<{ body?: AnyValue; severityText?: string; traceId?: string; spanId?: string; attributes?: KeyValues }>;
    }>;
  }>;
  resourceMetrics?: Array<{ scopeMetrics?: Array<{ metrics?: Array<{ name: string }> }> }>;
}

function flatten(value: AnyValue | undefined): string | number | boolean {
  if (value === undefined) return '';
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.doubleValue ?? '';
}

const attrs = (kv: KeyValues): Record<string, string | number | boolean> =>
  Object.fromEntries((kv ?? []).map((a) => [a.key, flatten(a.value)]));

/** The receiver: base URL for OTEL_EXPORTER_OTLP_ENDPOINT, and what arrived. */
export interface OtlpReceiver {
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  readonly logs: ReceivedLog[];
  readonly metricRequests: number;
  /** Names of the metrics received, once each. */
  readonly metricNames: Set<string>;
  readonly problems: string[];
  close(): Promise<void>;
}

/** Options of {@link startOtlpReceiver}. */
export interface OtlpReceiverOptions {
  /** Milliseconds to wait before answering each request of a signal (a slow collector). */
  readonly delayMs?: Partial<Record<'traces' | 'logs' | 'metrics', number>>;
}

/** Starts the receiver on a free 127.0.0.1 port. */
export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const metricNames = new Set<string>();
  const logs: ReceivedLog[] = [];
  const problems: string[] = [];
  let metricRequests = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const type = req.headers['content-type'] ?? '';
      if (req.method !== 'POST' || !type.includes('json') || !['/v1/traces', '/v1/logs', '/v1/metrics'].includes(req.url ?? '')) {
        problems.push(`${req.method} ${req.url} ${type}`);
        res.writeHead(415).end();
        return;
      }
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body;
        if (req.url === '/v1/metrics') metricRequests++;
        for (const rm of body.resourceMetrics ?? [])
          for (const sm of rm.scopeMetrics ?? []) for (const m of sm.metrics ?? []) metricNames.add(m.name);
        for (const rs of body.resourceSpans ?? [])
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? [])
              spans.push({
                name: s.name,
                kind: s.kind ?? 0,
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId ?? '',
                attributes: attrs(s.attributes),
              });
        for (const rl of body.resourceLogs ?? [])
          for (const sl of rl.scopeLogs ?? [])
            for (const l of sl.logRecords ?? [])
              logs.push({
                body: flatten(l.body),
                severityText: l.severityText ?? '',
                traceId: l.traceId ?? '',
                spanId: l.spanId ?? '',
                attributes: attrs(l.attributes),
              });
        const delay = options.delayMs?.[(req.url ?? '').slice('/v1/'.length) as 'traces' | 'logs' | 'metrics'] ?? 0;
        setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'), delay);
      } catch (error) {
        problems.push(`undecodable body: ${(error as Error).message}`);
        res.writeHead(400).end();
      }
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    logs,
    get metricRequests() {
      return metricRequests;
    },
    metricNames,
    problems,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
