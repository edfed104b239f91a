import { trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { installTestOtel } from '../support/otel.js';
import { observedSystem } from './gates.js';

// Regression (issue 11, finding 7): 40 calls on an operation whose breaker had opened wrote 38 identical
// warn records in 4 s; at 5,000 refusals a second that is 5,000 records a second in the middle of an outage.
// Refusals and repeated failures are now logged as the first record per operation and error type per
// interval, then one record with the count suppressed; spans and metrics still record every call.

const otel = installTestOtel();
afterEach(() => {
  vi.useRealTimers();
  otel.spans.reset();
});

const down = async (): Promise<never> => {
  throw new Error('backend down');
};

async function outage(system: ReturnType<typeof observedSystem>['system'], calls: number): Promise<string[]> {
  const codes: string[] = [];
  for (let i = 0; i < calls; i++) {
    codes.push(
      await system.executeProtectedOperation('graph.search', 'u', down).then(
        () => 'ok',
        (e: { code?: string }) => e.code ?? 'Error',
      ),
    );
  }
  return codes;
}

describe('log summarising (fake timers)', () => {
  it('40 calls past an open breaker: one record per operation and error type, then one summary with the count', async () => {
    vi.useFakeTimers();
    const { system, logs } = observedSystem();
    system.configureOperation('graph.search', { retry: false, circuitBreaker: { failureThreshold: 2, recoveryTimeoutMs: 60_000 } });
    const codes = await outage(system, 40);
    expect(codes.filter((c) => c === 'CIRCUIT_OPEN')).toHaveLength(38);
    const operationLogs = () => logs().filter((l) => l.message.startsWith('Operation'));
    expect(operationLogs().map((l) => [l.level, l.message])).toEqual([
      ['error', 'Operation failed: backend down'],
      ['warn', 'Operation rejected: CIRCUIT_OPEN'],
    ]);
    // Spans still record every call.
    expect(otel.spans.getFinishedSpans().filter((s) => s.name === 'graph.search')).toHaveLength(40);

    await vi.advanceTimersByTimeAsync(10_000);
    const summaries = operationLogs().slice(2);
    expect(summaries.map((l) => l.message)).toEqual([
      'Operation failed: backend down (1 more like this in the last 10 s were not logged)',
      'Operation rejected: CIRCUIT_OPEN (37 more like this in the last 10 s were not logged)',
    ]);
    expect(summaries[1]!.metadata).toEqual({
      'error.type': 'CIRCUIT_OPEN',
      'production.outcome': 'rejected',
      'production.log.suppressed': 37,
      'production.log.interval_ms': 10_000,
    });

    // The next interval starts afresh: its first refusal is logged again, and a quiet interval writes nothing.
    await outage(system, 3);
    expect(
      operationLogs()
        .slice(4)
        .map((l) => l.message),
    ).toEqual(['Operation rejected: CIRCUIT_OPEN']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(operationLogs().at(-1)!.metadata).toMatchObject({ 'production.log.suppressed': 2 });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(operationLogs()).toHaveLength(6);
  });

  it('is configurable: logSummaryIntervalMs (or PRODUCTION_LOG_SUMMARY_INTERVAL_MS) 0 logs every call', async () => {
    expect(resolveConfig({}, { PRODUCTION_LOG_SUMMARY_INTERVAL_MS: '0' }).monitoring.logSummaryIntervalMs).toBe(0);
    expect(resolveConfig({}, {}).monitoring.logSummaryIntervalMs).toBe(10_000);
    const { system, logs } = observedSystem({ config: { monitoring: { logSummaryIntervalMs: 0 } } });
    system.configureOperation('graph.search', { retry: false, circuitBreaker: { failureThreshold: 2 } });
    await outage(system, 10);
    expect(logs().filter((l) => l.message.startsWith('Operation'))).toHaveLength(10);
  });

  it('a summary carries no trace or correlation ID of another call, flushed by its timer or by a later call', async () => {
    // Issue 21, finding 7: the summary was written in the context of whichever call armed the timer or
    // came along after the interval, so it named an unrelated request's trace and correlation ID.
    vi.useFakeTimers();
    const { system, logs } = observedSystem();
    system.configureOperation('graph.search', { retry: false, circuitBreaker: false });
    // Each call inside its own request span, as under the HTTP instrumentation.
    const inRequest = <T>(fn: () => Promise<T>) =>
      trace.getTracer('test').startActiveSpan('request', (span) => fn().finally(() => span.end()));
    const failWith = (correlationId: string, operation = 'graph.search') =>
      inRequest(() => system.executeProtectedOperation(operation, 'u', down, { correlationId }).catch(() => undefined));
    for (let i = 0; i < 4; i++) await failWith(`req-${i}`);
    await vi.advanceTimersByTimeAsync(10_000);
    // Second interval: suppressed repeats, then the interval ends and a later, unrelated call flushes it.
    for (let i = 4; i < 7; i++) await failWith(`req-${i}`);
    vi.setSystemTime(Date.now() + 10_000);
    system.configureOperation('graph.path', { retry: false, circuitBreaker: false });
    await failWith('unrelated', 'graph.path');
    const operationLogs = logs().filter((l) => l.message.startsWith('Operation failed'));
    const summaries = operationLogs.filter((l) => l.metadata['production.log.suppressed'] !== undefined);
    expect(summaries.map((l) => l.metadata['production.log.suppressed'])).toEqual([3, 2]);
    for (const summary of summaries) {
      expect(summary.correlationId).toBeUndefined();
      expect(summary.traceId).toBeUndefined();
      expect(summary.spanId).toBeUndefined();
    }
    // The first record of each interval is a call's own record and keeps its IDs.
    expect(operationLogs[0]!.correlationId).toBe('req-0');
    expect(operationLogs[0]!.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('writes pending summaries at shutdown', async () => {
    vi.useFakeTimers();
    const { system, logs } = observedSystem();
    system.configureOperation('graph.search', { retry: false, circuitBreaker: false });
    await outage(system, 5);
    const report = system.shutdown();
    await vi.runAllTimersAsync();
    await report;
    expect(
      logs()
        .filter((l) => l.message.startsWith('Operation'))
        .map((l) => l.message),
    ).toEqual(['Operation failed: backend down', 'Operation failed: backend down (4 more like this in the last 10 s were not logged)']);
  });
});
