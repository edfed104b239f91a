import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AbortedError, CircuitOpenError, RateLimitedError, TimeoutError } from '../../src/errors.js';
import { retryDelayMs } from '../../src/recovery/backoff.js';
import { retryConfigSchema } from '../../src/recovery/config.js';
import { call, flush, manager } from './helpers.js';

describe('retryDelayMs', () => {
  const config = retryConfigSchema.parse({ baseDelayMs: 100, maxDelayMs: 1000, backoffMultiplier: 2, jitterFactor: 0.2 });

  it('grows exponentially and stays within the jitter band', () => {
    for (const [retry, nominal] of [
      [1, 100],
      [2, 200],
      [3, 400],
      [4, 800],
    ] as const) {
      expect(retryDelayMs(config, retry, () => 0)).toBeCloseTo(nominal * 0.8);
      expect(retryDelayMs(config, retry, () => 0.5)).toBeCloseTo(nominal);
      expect(retryDelayMs(config, retry, () => 0.999999)).toBeCloseTo(nominal * 1.2, 3);
    }
  });

  it('never exceeds maxDelayMs, even with jitter', () => {
    expect(retryDelayMs(config, 10, () => 0.999999)).toBe(1000);
    expect(retryDelayMs(config, 10, () => 0)).toBe(800);
  });

  it('has no spread with jitterFactor 0', () => {
    const flat = retryConfigSchema.parse({ baseDelayMs: 50, jitterFactor: 0 });
    expect(retryDelayMs(flat, 3, Math.random)).toBe(200);
  });
});

describe('retry', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const noBreaker = { circuitBreaker: false, timeoutMs: 0 };

  it('retries up to maxRetries, waiting the backoff between attempts', async () => {
    const retries: Array<[number, number]> = [];
    const m = manager(
      { ...noBreaker, retry: { maxRetries: 3, baseDelayMs: 100, backoffMultiplier: 2, jitterFactor: 0 } },
      { onRetry: (_c, attempt, delay) => void retries.push([attempt, delay]) },
    );
    let attempts = 0;
    const c = call('op');
    const result = m.policyFor('op').execute(
      async () => {
        attempts++;
        throw new Error('boom');
      },
      c,
      true,
    );
    result.catch(() => undefined);
    // Each retry also passes through cockatiel's own (zero-length, so 1 ms) timer hop: allow 3 ms per step.
    const at = async (ms: number): Promise<number> => {
      await vi.advanceTimersByTimeAsync(ms - (Date.now() - t0));
      return attempts;
    };
    const t0 = Date.now();
    await flush();
    expect(attempts).toBe(1);
    expect(await at(99)).toBe(1);
    expect(await at(103)).toBe(2);
    expect(await at(299)).toBe(2);
    expect(await at(306)).toBe(3);
    expect(await at(699)).toBe(3);
    expect(await at(710)).toBe(4);
    await expect(result).rejects.toThrow('boom');
    expect(retries).toEqual([
      [1, 100],
      [2, 200],
      [3, 400],
    ]);
    expect(c.attempts).toBe(4);
    expect(m.getOperationStats('op')?.retries).toBe(3);
  });

  it('returns the first success', async () => {
    const m = manager({ ...noBreaker, retry: { maxRetries: 5, baseDelayMs: 10, jitterFactor: 0 } });
    let attempts = 0;
    const result = m.policyFor('op').execute(
      async (ctx) => {
        attempts++;
        if (ctx.attempt < 3) throw new Error('flaky');
        return ctx.attempt;
      },
      call('op'),
      true,
    );
    await vi.advanceTimersByTimeAsync(1000);
    await expect(result).resolves.toBe(3);
    expect(attempts).toBe(3);
  });

  it('never retries non-idempotent calls', async () => {
    const m = manager({ ...noBreaker, retry: { maxRetries: 5 } });
    let attempts = 0;
    const op = async (): Promise<never> => {
      attempts++;
      throw new Error('write failed');
    };
    await expect(m.policyFor('op').execute(op, call('op'), false)).rejects.toThrow('write failed');
    expect(attempts).toBe(1);
    m.configureOperation('op', { idempotent: false });
    await expect(m.policyFor('op').execute(op, call('op'), true)).rejects.toThrow('write failed');
    expect(attempts).toBe(2);
  });

  it("never retries the production layer's own rejections", async () => {
    const m = manager({ ...noBreaker, retry: { maxRetries: 5 } });
    for (const error of [new RateLimitedError('user', 10), new CircuitOpenError('inner', 100), new AbortedError()]) {
      let attempts = 0;
      await expect(
        m.policyFor('op').execute(
          async () => {
            attempts++;
            throw error;
          },
          call('op'),
          true,
        ),
      ).rejects.toBe(error);
      expect(attempts).toBe(1);
    }
  });

  it('retries only what retryOn accepts', async () => {
    const m = manager({
      ...noBreaker,
      retry: { maxRetries: 3, baseDelayMs: 1, retryOn: (e: unknown) => (e as Error).message === 'transient' },
    });
    let attempts = 0;
    await expect(
      m.policyFor('op').execute(
        async () => {
          attempts++;
          throw new Error('permanent');
        },
        call('op'),
        true,
      ),
    ).rejects.toThrow('permanent');
    expect(attempts).toBe(1);
  });

  it('a caller abort ends the backoff sleep at once', async () => {
    const m = manager({ ...noBreaker, retry: { maxRetries: 3, baseDelayMs: 60_000, jitterFactor: 0 } });
    const controller = new AbortController();
    let attempts = 0;
    const result = m.policyFor('op').execute(
      async () => {
        attempts++;
        throw new Error('down');
      },
      call('op', controller.signal),
      true,
    );
    result.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    await flush();
    await vi.advanceTimersByTimeAsync(1);
    await expect(result).rejects.toBeInstanceOf(AbortedError);
    expect(attempts).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a shutdown abandoning requests ends the backoff sleep too', async () => {
    const m = manager({ ...noBreaker, retry: { maxRetries: 3, baseDelayMs: 60_000, jitterFactor: 0 } });
    const abandon = new AbortController();
    const result = m.policyFor('op').execute(
      async () => {
        throw new Error('down');
      },
      call('op', undefined, abandon.signal),
      true,
    );
    result.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(10);
    abandon.abort(new Error('drain deadline'));
    await vi.advanceTimersByTimeAsync(1);
    await expect(result).rejects.toBeInstanceOf(AbortedError);
  });

  it('retries a timed-out attempt', async () => {
    const m = manager({ circuitBreaker: false, timeoutMs: 100, retry: { maxRetries: 1, baseDelayMs: 10, jitterFactor: 0 } });
    let attempts = 0;
    const result = m.policyFor('op').execute(
      (ctx) => {
        attempts++;
        return ctx.attempt === 1 ? new Promise<string>(() => undefined) : Promise.resolve('second');
      },
      call('op'),
      true,
    );
    await vi.advanceTimersByTimeAsync(200);
    await expect(result).resolves.toBe('second');
    expect(attempts).toBe(2);
    expect(m.getOperationStats('op')?.timeouts).toBe(1);
  });

  it('retries a TimeoutError raised inside the operation (a timeout is a failure, not a rejection)', async () => {
    const m = manager({ ...noBreaker, retry: { maxRetries: 2, baseDelayMs: 1, jitterFactor: 0 } });
    let attempts = 0;
    const result = m.policyFor('op').execute(
      async () => {
        attempts++;
        throw new TimeoutError('inner', 5);
      },
      call('op'),
      true,
    );
    result.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(100);
    await expect(result).rejects.toBeInstanceOf(TimeoutError);
    expect(attempts).toBe(3);
  });
});
