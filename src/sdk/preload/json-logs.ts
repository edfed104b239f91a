// Log records as JSON lines on stdout (when no OTLP endpoint is set): one line per record, with the trace
// and span IDs, so `grep trace_id` joins logs to traces in any log shipper.
import type { Context } from '@opentelemetry/api';
import type { LogRecordProcessor, SdkLogRecord } from '@opentelemetry/sdk-logs';
import { inspect } from 'node:util';

const LEVEL = [
  'trace',
  'trace',
  'trace',
  'trace',
  'trace',
  'debug',
  'debug',
  'debug',
  'debug',
  'info',
  'info',
  'info',
  'info',
  'warn',
  'warn',
  'warn',
  'warn',
  'error',
  'error',
  'error',
  'error',
  'fatal',
  'fatal',
  'fatal',
  'fatal',
];

function isoTime(hr: readonly [number, number]): string {
  return new Date(hr[0] * 1000 + Math.floor(hr[1] / 1e6)).toISOString();
}

function safe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Where the lines go (`process.stdout` by default). */
export interface LineSink {
  write(chunk: string): unknown;
}

/** A LogRecordProcessor writing each record as one JSON line to a stream. */
export class JsonLinesLogProcessor implements LogRecordProcessor {
  private closed = false;

  constructor(private readonly stream: LineSink) {}

  onEmit(record: SdkLogRecord, _context?: Context): void {
    if (this.closed) return;
    const line: Record<string, unknown> = {
      time: isoTime(record.hrTime),
      level: record.severityText?.toLowerCase() ?? LEVEL[record.severityNumber ?? 9] ?? 'info',
      msg: record.body,
    };
    const span = record.spanContext;
    if (span !== undefined) {
      line.trace_id = span.traceId;
      line.span_id = span.spanId;
    }
    for (const key in record.attributes) if (!(key in line)) line[key] = record.attributes[key];
    let text: string;
    try {
      text = JSON.stringify(line, safe);
    } catch {
      // A body JSON cannot write (a cycle) is written as inspect shows it, not as "[object Object]".
      const msg = typeof record.body === 'string' ? record.body : inspect(record.body, { depth: 4, breakLength: Infinity });
      text = JSON.stringify({ time: line.time, level: line.level, msg });
    }
    this.stream.write(`${text}\n`);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
