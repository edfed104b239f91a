import { InMemoryLogRecordExporter, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ensureEmbeddedTelemetry, type EmbeddedTelemetry } from '../../src/sdk/index.js';
import type { MetricSnapshot, SnapshotMetric } from '../../src/monitoring/snapshot.js';

/** The embedded providers with in-memory span and log exporters (one setup per test file: vitest forks per file). */
export function installEmbedded(options: { cardinalityLimit?: number; alertIntervalMs?: number } = {}): {
  telemetry: EmbeddedTelemetry;
  spans: InMemorySpanExporter;
  logs: InMemoryLogRecordExporter;
} {
  const spans = new InMemorySpanExporter();
  const logs = new InMemoryLogRecordExporter();
  const telemetry = ensureEmbeddedTelemetry({
    serviceName: 'monitoring-test',
    spanProcessors: [new SimpleSpanProcessor(spans)],
    logRecordProcessors: [new SimpleLogRecordProcessor({ exporter: logs })],
    ...options,
  });
  return { telemetry, spans, logs };
}

/** A snapshot with the given metrics at `timestamp`. */
export function snapshot(timestamp: number, metrics: SnapshotMetric[]): MetricSnapshot {
  return { timestamp, metrics };
}

/** A counter stream. */
export function counter(name: string, points: [Record<string, string>, number][]): SnapshotMetric {
  return {
    name,
    description: '',
    unit: '',
    kind: 'counter',
    scope: 't',
    points: points.map(([attributes, value]) => ({ attributes, value })),
  };
}

/** A gauge stream. */
export function gauge(name: string, points: [Record<string, string>, number][]): SnapshotMetric {
  return { ...counter(name, points), kind: 'gauge' };
}

/** A histogram stream; `counts` are per bucket (OTel form), one more than `boundaries`. */
export function histogram(name: string, boundaries: number[], points: [Record<string, string>, number[]][]): SnapshotMetric {
  return {
    name,
    description: '',
    unit: 's',
    kind: 'histogram',
    scope: 't',
    points: points.map(([attributes, counts]) => {
      const count = counts.reduce((a, b) => a + b, 0);
      return { attributes, value: count, histogram: { boundaries, counts, count, sum: 0 } };
    }),
  };
}
