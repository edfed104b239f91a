import { context, propagation } from '@opentelemetry/api';
import { beforeEach, describe, expect, it } from 'vitest';
import { ProductionMonitor } from '../../src/monitoring/index.js';
import { correlationIdFromHeaders, currentCorrelationId, isValidCorrelationId } from '../../src/telemetry/correlation.js';
import { installTestOtel } from '../support/otel.js';
import { observedSystem } from './gates.js';

// Regression (issue 11, finding 1): a correlation ID decoded from baggage (`caf%C3%A9`, `%0D%0A`, `%00`,
// `%7F`) was used as it was, and the example service wrote it into a response header and died with
// ERR_INVALID_CHAR. An ID from outside is now used only when it is 1 to 128 safe ASCII characters.

const otel = installTestOtel();

async function rejectedCount(source: string): Promise<number> {
  const metric = await otel.metric('production.correlation_id.rejected');
  return (metric?.dataPoints ?? [])
    .filter((p) => p.attributes['production.correlation_id.source'] === source)
    .reduce((n, p) => n + (p.value as number), 0);
}

const UNSAFE = ['a\r\nb', 'café', '\u0000', '\u007f', 'with space', 'semi;colon', 'quote"', 'x'.repeat(129)];

describe('correlation IDs from outside', () => {
  beforeEach(() => otel.spans.reset());

  it('accepts 1 to 128 of A-Z a-z 0-9 - _ . : ~ + = @ / and nothing else', () => {
    for (const ok of ['req-123', 'c_1.2:3~4+5=6@7/8', '0af7651916cd43dd8448eb211c80319c', 'x'.repeat(128)])
      expect(isValidCorrelationId(ok), ok).toBe(true);
    for (const bad of [...UNSAFE, '', 42, undefined, ['a']]) expect(isValidCorrelationId(bad), JSON.stringify(bad)).toBe(false);
  });

  it('ignores an unsafe options.correlationId (any type) for the trace ID, and counts it', async () => {
    const { system } = observedSystem();
    for (const bad of [...UNSAFE, 42, ['a', 'b']]) {
      const seen = await system.executeProtectedOperation('op', 'u', async (ctx) => ctx.correlationId, { correlationId: bad as string });
      const span = otel.spans.getFinishedSpans().at(-1)!;
      expect(seen, JSON.stringify(bad)).toBe(span.spanContext().traceId);
      expect(span.attributes['production.correlation_id']).toBe(span.spanContext().traceId);
    }
    expect(await rejectedCount('explicit')).toBe(UNSAFE.length + 2);
    expect(await system.executeProtectedOperation('op', 'u', async (ctx) => ctx.correlationId, { correlationId: 'req-7' })).toBe('req-7');
  });

  it('ignores an unsafe baggage correlation_id in operations and in log records, and counts it', async () => {
    const { system } = observedSystem();
    const before = await rejectedCount('baggage');
    for (const encoded of ['caf%C3%A9', 'a%0D%0Ab', '%00', '%7F']) {
      const parent = propagation.extract(context.active(), { baggage: `correlation_id=${encoded}` });
      expect(propagation.getBaggage(parent)?.getEntry('correlation_id')?.value).toBe(decodeURIComponent(encoded));
      const seen = await context.with(parent, () => system.executeProtectedOperation('op', undefined, async (ctx) => ctx.correlationId));
      expect(seen).toBe(otel.spans.getFinishedSpans().at(-1)!.spanContext().traceId);
      expect(currentCorrelationId(parent)).toBeUndefined();
    }
    expect((await rejectedCount('baggage')) - before).toBe(4);

    const monitor = new ProductionMonitor({ defaultAlertRules: false, runtimeMetrics: false });
    try {
      const parent = propagation.extract(context.active(), { baggage: 'correlation_id=a%0D%0Ab' });
      context.with(parent, () => monitor.log('warn', 'c', 'op', 'from a request with hostile baggage'));
      expect(monitor.getRecentLogs()[0]!.correlationId).toBeUndefined();
    } finally {
      await monitor.shutdown();
    }
  });

  it('reads x-correlation-id for adapters: one valid value, else nothing (counted)', () => {
    const refused: string[] = [];
    const onRejected = (source: string) => void refused.push(source);
    expect(correlationIdFromHeaders({ 'x-correlation-id': 'req-1' }, onRejected)).toBe('req-1');
    expect(correlationIdFromHeaders({}, onRejected)).toBeUndefined();
    expect(correlationIdFromHeaders({ 'x-correlation-id': 'a\r\nb' }, onRejected)).toBeUndefined();
    expect(correlationIdFromHeaders({ 'x-correlation-id': ['a', 'b'] }, onRejected)).toBeUndefined();
    expect(refused).toEqual(['header', 'header']);
  });
});
