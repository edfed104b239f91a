import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RecoveryListener, RetrySkipReason } from '../../src/pipeline.js';
import { ErrorRecoveryManager, errorRecoveryConfigSchema } from '../../src/recovery/index.js';
import { defaultRetryAfterMs, parseRetryAfter } from '../../src/recovery/retry-after.js';
import { dateClock } from '../support/clock.js';
import { call } from './helpers.js';

interface Recorded {
  listener: RecoveryListener;
  delays: number[];
  skipped: RetrySkipReason[];
}

function recording(): Recorded {
  const delays: number[] = [];
  const skipped: RetrySkipReason[] = [];
  return {
    delays,
    skipped,
    listener: { onRetry: (_c, _a, delay) => void delays.push(delay), onRetrySkipped: (_c, _a, reason) => void skipped.push(reason) },
  };
}

function recovery(retry: Record<string, unknown>, listener: RecoveryListener, marginMs = 10): ErrorRecoveryManager {
  const config = errorRecoveryConfigSchema.parse({
    defaults: { circuitBreaker: false, timeoutMs: 0, retry: { maxRetries: 2, baseDelayMs: 10, jitterFactor: 0, ...retry } },
  });
  return new ErrorRecoveryManager(config, { clock: dateClock, listener, deadlineMarginMs: marginMs });
}

describe('retries and the deadline', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  async function prime(m: ErrorRecoveryManager, name: string, ms: number): Promise<void> {
    for (let i = 0; i < 5; i++) {
      const done = m.executeWithRecovery(name, () => new Promise((resolve) => setTimeout(resolve, ms)));
      await vi.advanceTimersByTimeAsync(ms);
      await done;
    }
  }

  it('skips the retry when the time left after the backoff is below the operation recent median duration', async () => {
    const { listener, delays, skipped } = recording();
    const m = recovery({}, listener);
    await prime(m, 'op', 100);
    const original = new Error('flaky');
    const c = call('op', undefined, undefined, Date.now() + 100);
    await expect(m.policyFor('op').execute(() => Promise.reject(original), c, true)).rejects.toBe(original);
    expect(skipped).toEqual(['deadline']);
    expect(delays).toEqual([]);
    expect(c.attempts).toBe(1);
  });

  it('retries when the time left covers the median, and never starts an attempt with less than the margin left', async () => {
    const { listener, delays, skipped } = recording();
    const m = recovery({ maxRetries: 5, baseDelayMs: 40, backoffMultiplier: 1 }, listener);
    const c = call('op', undefined, undefined, Date.now() + 120);
    const starts: number[] = [];
    const t0 = Date.now();
    const result = m
      .policyFor('op')
      .execute(
        () => {
          starts.push(Date.now() - t0);
          return Promise.reject(new Error('flaky'));
        },
        c,
        true,
      )
      .catch(() => undefined);
    await vi.advanceTimersByTimeAsync(200);
    await result;
    // Attempts at 0, ~40 and ~80 ms; a retry at ~120 would leave nothing: skipped for the deadline.
    expect(starts.length).toBe(3);
    expect(starts.every((at) => at <= 120 - 10)).toBe(true);
    expect(delays).toEqual([40, 40]);
    expect(skipped).toEqual(['deadline']);
  });

  it('waits at least what the error Retry-After asks', async () => {
    const { listener, delays } = recording();
    const m = recovery({}, listener);
    let attempts = 0;
    const t0 = Date.now();
    const starts: number[] = [];
    const result = m.executeWithRecovery('op', async () => {
      starts.push(Date.now() - t0);
      if (++attempts === 1) throw Object.assign(new Error('429'), { retryAfterMs: 500 });
      return 'ok';
    });
    await vi.advanceTimersByTimeAsync(600);
    expect(await result).toBe('ok');
    expect(delays).toEqual([500]);
    expect(starts[1]).toBeGreaterThanOrEqual(500);
  });

  it('does not retry when the Retry-After wait would pass the deadline, or exceeds maxDelayMs', async () => {
    const { listener, skipped } = recording();
    const m = recovery({ maxDelayMs: 5000 }, listener);
    const asking = (ms: number) => () => Promise.reject(Object.assign(new Error('503'), { retryAfterMs: ms }));
    await expect(m.policyFor('op').execute(asking(500), call('op', undefined, undefined, Date.now() + 300), true)).rejects.toThrow('503');
    await expect(m.policyFor('op').execute(asking(60_000), call('op'), true)).rejects.toThrow('503');
    expect(skipped).toEqual(['retry_after', 'retry_after']);
  });

  it('a retryAfterMs hook of its own replaces the default; one that throws counts as no answer', async () => {
    const { listener, delays } = recording();
    const m = recovery({ retryAfterMs: (e: unknown) => ((e as Error).message === 'slow down' ? 250 : undefined) }, listener);
    const result = m
      .policyFor('a')
      .execute(() => Promise.reject(new Error('slow down')), call('a'), true)
      .catch(() => undefined);
    await vi.advanceTimersByTimeAsync(1000);
    await result;
    expect(delays).toEqual([250, 250]);
    const throwing = recovery(
      {
        retryAfterMs: () => {
          throw new Error('hook bug');
        },
      },
      listener,
    );
    delays.length = 0;
    const other = throwing
      .policyFor('b')
      .execute(() => Promise.reject(new Error('x')), call('b'), true)
      .catch(() => undefined);
    await vi.advanceTimersByTimeAsync(1000);
    await other;
    expect(delays).toEqual([10, 20]);
  });
});

describe('executeWithRecovery with a deadline (the manager on its own)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('cuts the attempt margin before deadlineMs with DEADLINE_EXCEEDED and refuses a bad deadlineMs', async () => {
    const m = recovery({}, recording().listener);
    const t0 = Date.now();
    let abortedAt = -1;
    const result = m
      .executeWithRecovery(
        'op',
        (ctx) =>
          new Promise((_resolve, reject) =>
            ctx.signal.addEventListener('abort', () => {
              abortedAt = Date.now() - t0;
              reject(ctx.signal.reason as Error);
            }),
          ),
        { deadlineMs: 100 },
      )
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(200);
    expect(await result).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(abortedAt).toBe(90);
    await expect(m.executeWithRecovery('op', async () => 1, { deadlineMs: -1 })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      path: 'options.deadlineMs',
    });
  });
});

describe('defaultRetryAfterMs', () => {
  it('reads a retryAfterMs field, then a Retry-After header of error.response.headers or error.headers', () => {
    expect(defaultRetryAfterMs({ retryAfterMs: 1200 })).toBe(1200);
    expect(defaultRetryAfterMs({ response: { headers: new Headers({ 'Retry-After': '3' }) } })).toBe(3000);
    expect(defaultRetryAfterMs({ response: { headers: { 'retry-after': '2' } } })).toBe(2000);
    expect(defaultRetryAfterMs({ headers: { 'Retry-After': ['1'] } })).toBe(1000);
    expect(defaultRetryAfterMs(new Error('plain'))).toBeUndefined();
    expect(defaultRetryAfterMs(undefined)).toBeUndefined();
    expect(defaultRetryAfterMs({ retryAfterMs: -5 })).toBeUndefined();
    expect(defaultRetryAfterMs({ response: null })).toBeUndefined();
  });

  it('parses delta-seconds and HTTP dates, and ignores anything else', () => {
    const now = Date.parse('2026-11-29T12:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sun, 29 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 29 Nov 2026 11:00:00 GMT', now)).toBe(0);
    for (const bad of ['-1', '1.5', 'soon', '', '12345678901', 'x'.repeat(100), 42, null])
      expect(parseRetryAfter(bad, now)).toBeUndefined();
    expect(parseRetryAfter('999999999', now)).toBe(86_400_000);
  });
});
