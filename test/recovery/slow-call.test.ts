import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { OperationContext } from '../../src/pipeline.js';
import { ErrorRecoveryManager, errorRecoveryConfigSchema } from '../../src/recovery/index.js';
import { SlowCallMonitor } from '../../src/recovery/slow-call/index.js';
import { slowCallConfigSchema } from '../../src/recovery/slow-call/config.js';
import { dateClock } from '../support/clock.js';

const SLOW = { thresholdMs: 100, rateThreshold: 0.5, minimumCalls: 5, windowMs: 1000 };

function manager(circuitBreaker: Record<string, unknown>): ErrorRecoveryManager {
  const config = errorRecoveryConfigSchema.parse({
    defaults: {
      retry: { maxRetries: 0 },
      timeoutMs: 5000,
      circuitBreaker: { failureThreshold: 5, recoveryTimeoutMs: 2000, ...circuitBreaker },
    },
  });
  return new ErrorRecoveryManager(config, { clock: dateClock });
}

/** A dependency answering in 10 ms until `hang` is set; then it never answers (the attempt's timeout ends it). */
function dependency(): { op: (ctx: OperationContext) => Promise<string>; hang: boolean } {
  const dep = {
    hang: false,
    op: (ctx: OperationContext): Promise<string> =>
      new Promise((resolve, reject) => {
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error));
        if (!dep.hang) setTimeout(() => resolve('ok'), 10);
      }),
  };
  return dep;
}

/** Offers one call every 10 ms for `ms`; returns when each call ended and how. */
async function drive(m: ErrorRecoveryManager, op: (ctx: OperationContext) => Promise<string>, ms: number) {
  const outcomes: Promise<string>[] = [];
  for (let t = 0; t < ms; t += 10) {
    outcomes.push(m.executeWithRecovery('dep', op).catch((error: { code?: string }) => error.code ?? 'error'));
    await vi.advanceTimersByTimeAsync(10);
  }
  return outcomes;
}

describe('slow-call breaker (fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a dependency that starts hanging opens the breaker within the slow threshold plus one window, long before the timeouts', async () => {
    const m = manager({ slowCall: SLOW });
    const dep = dependency();
    const healthy = await drive(m, dep.op, 2000);
    expect(new Set(await Promise.all(healthy))).toEqual(new Set(['ok']));
    expect(m.breakerStates()[0]).toMatchObject({ state: 'closed' });

    dep.hang = true;
    const hungAt = Date.now();
    let openedAt: number | undefined;
    const pending: Promise<string>[] = [];
    while (Date.now() - hungAt < SLOW.thresholdMs + SLOW.windowMs) {
      pending.push(m.executeWithRecovery('dep', dep.op).catch((error: { code?: string }) => error.code ?? 'error'));
      await vi.advanceTimersByTimeAsync(10);
      if (m.breakerStates()[0]!.state === 'open') {
        openedAt = Date.now();
        break;
      }
    }
    expect(openedAt, 'the breaker opened').toBeDefined();
    expect(openedAt! - hungAt).toBeGreaterThanOrEqual(SLOW.thresholdMs);
    expect(openedAt! - hungAt).toBeLessThanOrEqual(SLOW.thresholdMs + SLOW.windowMs);
    // No hung call has returned yet (the timeout is 5 s): the breaker opened on calls still in flight.
    expect(m.getOperationStats('dep')).toMatchObject({ timeouts: 0 });
    // Open: new calls are refused at once.
    await expect(m.executeWithRecovery('dep', dep.op)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    await vi.advanceTimersByTimeAsync(5000);
    await Promise.all(pending);
  });

  it('without slowCall, the same hang keeps the breaker closed until the timeouts fail', async () => {
    const m = manager({});
    const dep = dependency();
    await Promise.all(await drive(m, dep.op, 500));
    dep.hang = true;
    const hung = await drive(m, dep.op, SLOW.thresholdMs + SLOW.windowMs);
    expect(m.breakerStates()[0]).toMatchObject({ state: 'closed' });
    await vi.advanceTimersByTimeAsync(5000);
    expect(new Set(await Promise.all(hung))).toContain('TIMEOUT');
    expect(m.breakerStates()[0]).toMatchObject({ state: 'open' });
  });

  it('counts finished slow calls too, waits for minimumCalls, and lets the breaker go after recoveryTimeoutMs', async () => {
    const m = manager({ slowCall: { ...SLOW, minimumCalls: 4 } });
    const slowOp = (): Promise<string> => new Promise((resolve) => setTimeout(() => resolve('late'), 150));
    const calls = [0, 1, 2].map(() => m.executeWithRecovery('dep', slowOp));
    await vi.advanceTimersByTimeAsync(150);
    await Promise.all(calls);
    // Three slow calls, all finished: fewer than minimumCalls, still closed.
    expect(m.breakerStates()[0]).toMatchObject({ state: 'closed' });
    const fourth = m.executeWithRecovery('dep', slowOp);
    await vi.advanceTimersByTimeAsync(150);
    await fourth;
    expect(m.breakerStates()[0]).toMatchObject({ state: 'open' });
    await vi.advanceTimersByTimeAsync(2000);
    // Let go on a fresh window: a fast call runs and the breaker stays closed.
    await expect(m.executeWithRecovery('dep', () => Promise.resolve('ok'))).resolves.toBe('ok');
    expect(m.breakerStates()[0]).toMatchObject({ state: 'closed' });
  });

  it('an open held by the slow-call monitor survives no rebuild or checkpoint: the rebuilt breaker decides again', async () => {
    const m = manager({ slowCall: { ...SLOW, minimumCalls: 2 } });
    const late = (): Promise<string> => new Promise((resolve) => setTimeout(() => resolve('late'), 3000));
    const hung = [0, 1].map(() => m.executeWithRecovery('dep', late));
    await vi.advanceTimersByTimeAsync(SLOW.thresholdMs);
    expect(m.breakerStates()[0]).toMatchObject({ state: 'open' });
    const checkpoint = m.exportBreakerState();
    // New settings outside the breaker: the breaker's state is carried over to the rebuilt policies.
    m.configureOperation('dep', { timeoutMs: 4000 });
    await expect(m.executeWithRecovery('dep', () => Promise.resolve('ok'))).resolves.toBe('ok');
    expect(m.breakerStates()[0]).toMatchObject({ state: 'closed' });
    m.restoreBreakerState(checkpoint);
    await expect(m.executeWithRecovery('dep', () => Promise.resolve('ok'))).resolves.toBe('ok');
    await vi.advanceTimersByTimeAsync(5000);
    await Promise.all(hung);
  });

  it('stays closed while slow calls are under the rate threshold', async () => {
    const m = manager({ slowCall: SLOW });
    for (let i = 0; i < 20; i++) {
      const ms = i % 4 === 0 ? 150 : 10;
      const done = m.executeWithRecovery('dep', () => new Promise((resolve) => setTimeout(() => resolve('ok'), ms)));
      await vi.advanceTimersByTimeAsync(ms);
      await done;
    }
    expect(m.breakerStates()[0]).toMatchObject({ state: 'closed' });
  });

  it('forgets finished calls older than the window and unlinks every call that ended', async () => {
    let isolated = 0;
    const breaker = {
      isClosed: () => isolated === 0,
      isolate: (): Disposable => {
        isolated++;
        return { [Symbol.dispose]: () => void isolated-- };
      },
    };
    const monitor = new SlowCallMonitor(slowCallConfigSchema.parse({ ...SLOW, minimumCalls: 3 }), breaker, 500, dateClock);
    const slow = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    const ran = [monitor.track(slow(200)), monitor.track(slow(20))];
    await vi.advanceTimersByTimeAsync(100);
    // The 200 ms call is still in flight but past the threshold: it counts as slow already.
    expect(monitor.rate()).toEqual({ slow: 1, calls: 2 });
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all(ran);
    expect(monitor.rate()).toEqual({ slow: 1, calls: 2 });
    await vi.advanceTimersByTimeAsync(SLOW.windowMs);
    expect(monitor.rate()).toEqual({ slow: 0, calls: 0 });
    expect(isolated).toBe(0);
    // Three slow ones in flight open it; stop() lets it go and stops the timers.
    const hung = [0, 1, 2].map(() => monitor.track(new Promise<void>(() => undefined)));
    await vi.advanceTimersByTimeAsync(100);
    expect(hung).toHaveLength(3);
    expect(isolated).toBe(1);
    expect(monitor.opened).toBe(1);
    monitor.stop();
    expect(isolated).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects a bad slowCall setting with INVALID_CONFIG naming the field', () => {
    const m = manager({});
    expect(() => m.configureOperation('dep', { circuitBreaker: { slowCall: { thresholdMs: 0 } } })).toThrow(
      /operations\.dep\.circuitBreaker\.slowCall\.thresholdMs/,
    );
    m.configureOperation('dep', { circuitBreaker: { slowCall: { thresholdMs: 250 } } });
    expect(m.getOperationConfig('dep').circuitBreaker).toMatchObject({
      slowCall: { thresholdMs: 250, rateThreshold: 0.5, minimumCalls: 10 },
    });
  });
});
