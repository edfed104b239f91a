import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import type { RecoveryListener, RetrySkipReason } from '../../src/pipeline.js';
import { ErrorRecoveryManager, errorRecoveryConfigSchema } from '../../src/recovery/index.js';
import { RetryBudget, retryBudgetConfigSchema } from '../../src/recovery/retry-budget.js';
import { dateClock, manualClock } from '../support/clock.js';
import { call, flush } from './helpers.js';

describe('RetryBudget', () => {
  it('allows minRetriesPerSecond x window retries with no calls at all', () => {
    const clock = manualClock(0);
    const budget = new RetryBudget('db', retryBudgetConfigSchema.parse({ ratio: 0.2, ttlMs: 10_000, minRetriesPerSecond: 1 }), clock);
    let granted = 0;
    while (budget.tryWithdraw()) granted++;
    expect(granted).toBe(10);
    expect(budget.exhausted).toBe(1);
  });

  it('lets retries be a ratio of calls over the window, then forgets calls older than the window', () => {
    const clock = manualClock(0);
    const budget = new RetryBudget('db', retryBudgetConfigSchema.parse({ ratio: 0.2, ttlMs: 10_000, minRetriesPerSecond: 0 }), clock);
    for (let i = 0; i < 100; i++) budget.deposit();
    let granted = 0;
    while (budget.tryWithdraw()) granted++;
    expect(granted).toBe(20);
    // The calls and the retries leave the window together: the budget is empty, not negative, after it.
    clock.now = 10_000;
    expect(budget.balance()).toBe(0);
    for (let i = 0; i < 10; i++) budget.deposit();
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
    expect(budget.status()).toMatchObject({ dependency: 'db', calls: 10, retries: 2, exhausted: 2, ratio: 0.2 });
  });

  const configArb = fc.record({
    ratio: fc.double({ min: 0, max: 2, noNaN: true }),
    ttlMs: fc.integer({ min: 1000, max: 60_000 }),
    minRetriesPerSecond: fc.double({ min: 0, max: 20, noNaN: true }),
  });
  // Each event: how long after the previous one it happens, and whether it is a call or a retry wanted.
  const eventsArb = fc.array(fc.record({ gapMs: fc.integer({ min: 0, max: 3000 }), retry: fc.boolean() }), { maxLength: 400 });

  function run(
    config: { ratio: number; ttlMs: number; minRetriesPerSecond: number },
    events: { gapMs: number; retry: boolean }[],
    scale: number,
  ) {
    const clock = manualClock(12_345);
    const budget = new RetryBudget('dep', config, clock);
    let calls = 0;
    let retries = 0;
    for (const event of events) {
      clock.now += event.gapMs * scale;
      if (!event.retry) {
        budget.deposit();
        calls++;
      } else if (budget.tryWithdraw()) retries++;
    }
    return { calls, retries, elapsed: clock.now - 12_345 };
  }

  it('property: within one window, retries never exceed ratio x calls + minRetriesPerSecond x window', () => {
    fc.assert(
      fc.property(configArb, eventsArb, (config, events) => {
        // Squeeze the whole sequence into nine tenths of a window (ten slots at most, so one window holds it all).
        const total = events.reduce((sum, e) => sum + e.gapMs, 0);
        const scale = total === 0 ? 0 : (config.ttlMs * 0.9 - 1) / total;
        const { calls, retries } = run(config, events, scale);
        expect(retries).toBeLessThanOrEqual(config.ratio * calls + (config.minRetriesPerSecond * config.ttlMs) / 1000 + 1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('property: over any run, retries never exceed ratio x calls + one reserve per window spanned', () => {
    fc.assert(
      fc.property(configArb, eventsArb, (config, events) => {
        const { calls, retries, elapsed } = run(config, events, 1);
        const slotMs = config.ttlMs / 10;
        const windows = Math.ceil((elapsed / slotMs + 2) / 10);
        expect(retries).toBeLessThanOrEqual(config.ratio * calls + windows * ((config.minRetriesPerSecond * config.ttlMs) / 1000) + 1e-9);
      }),
      { numRuns: 300 },
    );
  });
});

describe('retry budget in the recovery pipeline', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function recording(): { listener: RecoveryListener; retries: number[]; skipped: Array<[RetrySkipReason, string | undefined]> } {
    const retries: number[] = [];
    const skipped: Array<[RetrySkipReason, string | undefined]> = [];
    return {
      retries,
      skipped,
      listener: {
        onRetry: (_c, attempt) => void retries.push(attempt),
        onRetrySkipped: (_c, _attempt, reason, _error, budget) => void skipped.push([reason, budget]),
      },
    };
  }

  const retry = { maxRetries: 2, baseDelayMs: 10, jitterFactor: 0 };
  const noBreaker = { circuitBreaker: false, timeoutMs: 0 } as const;

  it('a dependency budget is shared by its operations; when empty the original error is returned, unretried', async () => {
    const { listener, retries, skipped } = recording();
    const config = resolveConfig(
      {
        errorRecovery: { defaults: { ...noBreaker, retry, dependency: 'payments' } },
        dependencies: { payments: { retryBudget: { ratio: 0.5, ttlMs: 10_000, minRetriesPerSecond: 0 } } },
      },
      {},
    );
    const m = new ErrorRecoveryManager(config.errorRecovery, { clock: dateClock, listener, dependencies: config.dependencies });
    const original = new Error('503 from payments');
    let attempts = 0;
    const failing = async (): Promise<never> => {
      attempts++;
      throw original;
    };
    // Two operations, one budget: 4 calls deposit 2 retries' worth.
    const results: Promise<unknown>[] = [];
    for (const name of ['charge', 'refund', 'charge', 'refund']) {
      results.push(
        m
          .policyFor(name)
          .execute(failing, call(name), true)
          .catch((e: unknown) => e),
      );
    }
    await vi.advanceTimersByTimeAsync(1000);
    const errors = await Promise.all(results);
    expect(errors.every((e) => e === original)).toBe(true);
    expect(retries.length).toBe(2);
    expect(attempts).toBe(4 + 2);
    expect(skipped.filter(([reason]) => reason === 'budget').length).toBe(2 + 2);
    expect(skipped.every(([, budget]) => budget === 'payments')).toBe(true);
    expect(m.retryBudgets()).toEqual([
      expect.objectContaining({ owner: 'dependency', dependency: 'payments', calls: 4, retries: 2, exhausted: 4 }),
    ]);
  });

  it('an operation may own a budget (configureOperation), and a dependency budget of false turns budgets off', async () => {
    const { listener, retries } = recording();
    const config = errorRecoveryConfigSchema.parse({ defaults: { ...noBreaker, retry } });
    const m = new ErrorRecoveryManager(config, { clock: dateClock, listener, dependencies: { free: { retryBudget: false } } });
    m.configureOperation('own', { retryBudget: { ratio: 0, minRetriesPerSecond: 0.1, ttlMs: 10_000 } });
    m.configureOperation('unbudgeted', { dependency: 'free', retryBudget: { ratio: 0, minRetriesPerSecond: 0, ttlMs: 1000 } });
    const failing = async (): Promise<never> => Promise.reject(new Error('down'));
    const own = m
      .policyFor('own')
      .execute(failing, call('own'), true)
      .catch(() => undefined);
    const free = m
      .policyFor('unbudgeted')
      .execute(failing, call('unbudgeted'), true)
      .catch(() => undefined);
    await vi.advanceTimersByTimeAsync(1000);
    await Promise.all([own, free]);
    // `own` has a reserve of one retry (0.1/s x 10 s); `unbudgeted` retries freely (2).
    expect(retries.length).toBe(1 + 2);
    expect(m.retryBudgets()).toEqual([expect.objectContaining({ owner: 'operation', dependency: 'own', retries: 1, exhausted: 1 })]);
  });

  it('calls without a budget pay nothing and keep retrying as configured', async () => {
    const { listener, retries, skipped } = recording();
    const m = new ErrorRecoveryManager(errorRecoveryConfigSchema.parse({ defaults: { ...noBreaker, retry } }), {
      clock: dateClock,
      listener,
    });
    const result = m
      .policyFor('op')
      .execute(async () => Promise.reject(new Error('x')), call('op'), true)
      .catch(() => undefined);
    await flush();
    await vi.advanceTimersByTimeAsync(100);
    await result;
    expect(retries).toEqual([1, 2]);
    expect(skipped).toEqual([]);
    expect(m.retryBudgets()).toEqual([]);
  });
});
