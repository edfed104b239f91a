import { afterAll, describe, expect, it } from 'vitest';
import { createProductionSystem } from '../../src/create.js';
import { buildStatusDocument } from '../../src/http/status-data.js';
import { installTestOtel } from '../support/otel.js';

const otel = installTestOtel();

describe('retry budget and deadline telemetry', () => {
  const system = createProductionSystem(
    {},
    {
      monitoring: { defaultAlertRules: false },
      errorRecovery: { defaults: { circuitBreaker: false, timeoutMs: 0, retry: { maxRetries: 2, baseDelayMs: 1, jitterFactor: 0 } } },
      dependencies: { inventory: { retryBudget: { ratio: 0, ttlMs: 10_000, minRetriesPerSecond: 0.1 } } },
    },
    { env: {}, startHealthChecks: false },
  );
  system.configureOperation('stock.read', { dependency: 'inventory' });
  afterAll(() => system.shutdown());

  it('an empty budget: retry.skipped (budget) and retry.budget_exhausted events, the exhausted counter, the balance gauge, the status', async () => {
    const failing = async (): Promise<never> => Promise.reject(new Error('inventory down'));
    // The reserve (0.1/s x 10 s) is one retry: the first call spends it on its first retry and finds the budget
    // empty for its second; the second call finds it empty at once.
    await expect(system.executeProtectedOperation('stock.read', undefined, failing)).rejects.toThrow('inventory down');
    otel.spans.reset();
    await expect(system.executeProtectedOperation('stock.read', undefined, failing)).rejects.toThrow('inventory down');
    const [span] = otel.spans.getFinishedSpans();
    expect(span?.attributes['production.attempts']).toBe(1);
    const skipped = span?.events.find((e) => e.name === 'retry.skipped');
    expect(skipped?.attributes).toMatchObject({ reason: 'budget', 'production.attempt': 1, 'error.type': 'Error' });
    const exhausted = span?.events.find((e) => e.name === 'retry.budget_exhausted');
    expect(exhausted?.attributes).toMatchObject({ 'production.dependency': 'inventory' });

    const counter = await otel.metric('production.retry_budget.exhausted');
    expect(counter?.dataPoints).toEqual([expect.objectContaining({ attributes: { 'production.dependency': 'inventory' }, value: 2 })]);
    const gauge = await otel.metric('production.retry_budget.balance');
    expect(gauge?.descriptor.unit).toBe('{retry}');
    expect(gauge?.dataPoints[0]?.attributes).toEqual({ 'production.dependency': 'inventory' });
    expect(gauge?.dataPoints[0]?.value).toBe(0);

    expect(system.getSystemStatus().retryBudgets).toEqual([
      expect.objectContaining({ owner: 'dependency', dependency: 'inventory', calls: 2, retries: 1, exhausted: 2, balance: 0 }),
    ]);
    // The status page's document shows the budget per dependency.
    expect(buildStatusDocument(system.components).retryBudgets).toEqual([
      {
        dependency: 'inventory',
        owner: 'dependency',
        balance: 0,
        calls: 2,
        retries: 1,
        exhausted: 2,
        ratio: 0,
        ttlMs: 10_000,
        minRetriesPerSecond: 0.1,
      },
    ]);
  });

  it('a skipped retry for the deadline is a retry.skipped event with reason deadline', async () => {
    otel.spans.reset();
    // The first backoff (100 ms) would end past the deadline (100 ms, less the margin).
    system.configureOperation('slowish', { retry: { baseDelayMs: 100 } });
    const error = await system
      .executeProtectedOperation('slowish', undefined, () => Promise.reject(new Error('late')), { deadlineMs: 100 })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('late');
    const [span] = otel.spans.getFinishedSpans();
    expect(span?.events.find((e) => e.name === 'retry.skipped')?.attributes).toMatchObject({ reason: 'deadline' });
    expect(span?.attributes['production.deadline.remaining_ms']).toBe(100);
  });
});
