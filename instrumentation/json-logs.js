'use strict';
// Log records as JSON lines on stdout (when no OTLP endpoint is set): one line per record, with the trace
// and span IDs, so `grep trace_id` joins logs to traces in any log shipper.

const LEVEL = ['trace', 'trace', 'trace', 'trace', 'trace', 'debug', 'debug', 'debug', 'debug', 'info', 'info', 'info', 'info', 'warn', 'warn', 'warn', 'warn', 'error', 'error', 'error', 'error', 'fatal', 'fatal', 'fatal', 'fatal'];

/** @param {[number, number]} hr */
function isoTime(hr) {
  return new Date(hr[0] * 1000 + Math.floor(hr[1] / 1e6)).toISOString();
}

/** @param {unknown} _key @param {unknown} value */
function safe(_key, value) {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** A LogRecordProcessor writing each record as one JSON line to `stream`. */
class JsonLinesLogProcessor {
  /** @param {{ write(chunk: string): unknown }} stream */
  constructor(stream) {
    this.stream = stream;
    this.closed = false;
  }

  /** @param {import('@opentelemetry/sdk-logs').SdkLogRecord} record */
  onEmit(record) {
    if (this.closed) return;
    /** @type {Record<string, unknown>} */
    const line = {
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
    let text;
    try {
      text = JSON.stringify(line, safe);
    } catch {
      text = JSON.stringify({ time: line.time, level: line.level, msg: String(record.body) });
    }
    this.stream.write(`${text}\n`);
  }

  forceFlush() {
    return Promise.resolve();
  }

  shutdown() {
    this.closed = true;
    return Promise.resolve();
  }
}

module.exports = { JsonLinesLogProcessor };
