import { context, propagation, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProductionMonitor, type MonitoringConfigInput } from '../../src/monitoring/index.js';
import { InvalidConfigError } from '../../src/errors.js';
import { installEmbedded } from './helpers.js';

let env: ReturnType<typeof installEmbedded>;
const monitors: ProductionMonitor[] = [];
function monitor(config: MonitoringConfigInput = {}): ProductionMonitor {
  const m = new ProductionMonitor({ defaultAlertRules: false, runtimeMetrics: false, ...config });
  monitors.push(m);
  return m;
}

beforeAll(() => {
  env = installEmbedded();
});
beforeEach(() => env.logs.reset());
afterAll(async () => {
  await Promise.all(monitors.map((m) => m.shutdown()));
  await env.telemetry.shutdown();
});

describe('ProductionMonitor.log', () => {
  it('drops levels below the minimum and maps the rest to OTel severities', () => {
    const m = monitor({ logLevel: 'warn' });
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'critical'] as const) m.log(level, 'comp', 'op', `at ${level}`);
    const records = env.logs.getFinishedLogRecords();
    expect(records.map((r) => r.body)).toEqual(['at warn', 'at error', 'at critical']);
    expect(records.map((r) => r.severityNumber)).toEqual([SeverityNumber.WARN, SeverityNumber.ERROR, SeverityNumber.FATAL]);
    expect(records.map((r) => r.severityText)).toEqual(['WARN', 'ERROR', 'CRITICAL']);
    expect(m.getRecentLogs().map((e) => e.level)).toEqual(['critical', 'error', 'warn']);
    m.setLogLevel('trace');
    m.log('trace', 'comp', 'op', 'now visible');
    expect(m.getRecentLogs({ limit: 1 })[0]!.message).toBe('now visible');
  });

  it('carries the conventions attributes, the metadata and the active trace context', () => {
    const m = monitor();
    const tracer = trace.getTracer('test');
    let traceId = '';
    let spanId = '';
    tracer.startActiveSpan('parent', (span) => {
      traceId = span.spanContext().traceId;
      spanId = span.spanContext().spanId;
      m.log('error', 'error_recovery', 'charge_card', 'failed', {
        'error.type': 'TIMEOUT',
        'production.execution_time_ms': 12.5,
        attempt: 2,
      });
      span.end();
    });
    const [record] = env.logs.getFinishedLogRecords();
    expect(record!.spanContext?.traceId).toBe(traceId);
    expect(record!.spanContext?.spanId).toBe(spanId);
    expect(record!.attributes).toMatchObject({
      'production.component': 'error_recovery',
      'production.operation.name': 'charge_card',
      'production.correlation_id': traceId,
      'production.execution_time_ms': 12.5,
      'error.type': 'TIMEOUT',
      attempt: 2,
    });
    const [entry] = m.getRecentLogs();
    expect(entry).toMatchObject({ traceId, spanId, correlationId: traceId, executionTimeMs: 12.5, component: 'error_recovery' });
  });

  it('takes the correlation ID from baggage, and an explicit one over both', () => {
    const m = monitor();
    const baggage = propagation.createBaggage({ correlation_id: { value: 'from-baggage' } });
    context.with(propagation.setBaggage(context.active(), baggage), () => {
      m.log('info', 'c', 'op', 'one');
      m.log('info', 'c', 'op', 'two', { 'production.correlation_id': 'explicit' });
    });
    m.log('info', 'c', 'op', 'three');
    const ids = env.logs.getFinishedLogRecords().map((r) => r.attributes['production.correlation_id']);
    expect(ids).toEqual(['from-baggage', 'explicit', undefined]);
    expect(m.getRecentLogs({ correlationId: 'explicit' }).map((e) => e.message)).toEqual(['two']);
    expect(m.getRecentLogs().at(-1)!.traceId).toBeUndefined();
  });

  it('keeps a bounded ring and filters it', () => {
    const m = monitor({ logBufferSize: 5 });
    for (let i = 0; i < 20; i++) m.log(i % 2 === 0 ? 'info' : 'error', i % 3 === 0 ? 'a' : 'b', 'op', `m${i}`);
    expect(m.getRecentLogs({ limit: 100 }).map((e) => e.message)).toEqual(['m19', 'm18', 'm17', 'm16', 'm15']);
    expect(m.getRecentLogs({ level: 'error' }).map((e) => e.message)).toEqual(['m19', 'm17', 'm15']);
    expect(m.getRecentLogs({ component: 'a' }).map((e) => e.message)).toEqual(['m18', 'm15']);
    expect(m.getRecentLogs({ limit: 2 })).toHaveLength(2);
    expect(m.healthCheck().logBuffer).toMatchObject({ size: 5, capacity: 5, overwritten: 15 });
  });

  it('turns errors and dates in metadata into plain values', () => {
    const m = monitor();
    m.log('warn', 'c', 'op', 'x', { error: new TypeError('bad'), at: new Date(0), missing: undefined });
    const attrs = env.logs.getFinishedLogRecords()[0]!.attributes;
    expect(attrs.error).toBe('TypeError: bad');
    expect(attrs.at).toBe('1970-01-01T00:00:00.000Z');
    expect('missing' in attrs).toBe(false);
  });

  it('rejects a bad config with the field path', () => {
    expect(() => new ProductionMonitor({ logLevel: 'loud' as never })).toThrow(InvalidConfigError);
    expect(() => new ProductionMonitor({ logBufferSize: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'monitoring.logBufferSize' }),
    );
  });
});
