import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AbortedError, CircuitOpenError, RateLimitedError } from '../../src/errors.js';
import type { BreakerTransition } from '../../src/pipeline.js';
import { call, manager } from './helpers.js';

const fail = async (): Promise<never> => {
  throw new Error('dependency down');
};
const ok = async (): Promise<string> => 'ok';

function breakerManager(breaker: Record<string, unknown>) {
  const m = manager({ retry: false, timeoutMs: 0, circuitBreaker: { failureThreshold: 3, recoveryTimeoutMs: 1000, ...breaker } });
  const transitions: string[] = [];
  m.onBreakerTransition((e: BreakerTransition) => transitions.push(`${e.from}->${e.to}`));
  const run = <T>(op: () => Promise<T>) => m.policyFor('db').execute(op, call('db'), true);
  return { m, run, transitions };
}

describe('circuit breaker', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('walks closed -> open -> half_open -> closed', async () => {
    const { m, run, transitions } = breakerManager({});
    for (let i = 0; i < 3; i++) await expect(run(fail)).rejects.toThrow('dependency down');
    expect(m.getCircuitBreakerStatus('db')).toBe('open');
    const rejected = await run(ok).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(CircuitOpenError);
    expect((rejected as CircuitOpenError).retryAfterMs).toBeGreaterThan(900);
    expect((rejected as CircuitOpenError).operation).toBe('db');
    vi.advanceTimersByTime(1000);
    await expect(run(ok)).resolves.toBe('ok');
    expect(m.getCircuitBreakerStatus('db')).toBe('closed');
    expect(transitions).toEqual(['closed->open', 'open->half_open', 'half_open->closed']);
  });

  it('a failing trial in half-open opens the circuit again', async () => {
    const { m, run, transitions } = breakerManager({});
    for (let i = 0; i < 3; i++) await run(fail).catch(() => undefined);
    vi.advanceTimersByTime(1000);
    await expect(run(fail)).rejects.toThrow('dependency down');
    expect(m.getCircuitBreakerStatus('db')).toBe('open');
    expect(transitions).toEqual(['closed->open', 'open->half_open', 'half_open->open']);
    await expect(run(ok)).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('lets only halfOpenMaxCalls trial calls run at once; the rest get CIRCUIT_OPEN', async () => {
    const { run } = breakerManager({ halfOpenMaxCalls: 1 });
    for (let i = 0; i < 3; i++) await run(fail).catch(() => undefined);
    vi.advanceTimersByTime(1000);
    let started = 0;
    let release!: () => void;
    const slow = () => {
      started++;
      return new Promise<string>((resolve) => (release = () => resolve('trial')));
    };
    const trial = run(slow);
    const others = await Promise.allSettled([run(slow), run(slow), run(slow)]);
    expect(others.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const o of others) expect((o as PromiseRejectedResult).reason).toBeInstanceOf(CircuitOpenError);
    release();
    await expect(trial).resolves.toBe('trial');
    expect(started).toBe(1);
  });

  it('needs successThreshold trial successes to close; a failure on probation reopens', async () => {
    const { m, run } = breakerManager({ successThreshold: 3, halfOpenMaxCalls: 1 });
    for (let i = 0; i < 3; i++) await run(fail).catch(() => undefined);
    vi.advanceTimersByTime(1000);
    await run(ok);
    expect(m.getCircuitBreakerStatus('db')).toBe('half_open');
    await run(ok);
    expect(m.getCircuitBreakerStatus('db')).toBe('half_open');
    await expect(run(fail)).rejects.toThrow('dependency down');
    expect(m.getCircuitBreakerStatus('db')).toBe('open');
    vi.advanceTimersByTime(1000);
    for (let i = 0; i < 3; i++) await run(ok);
    expect(m.getCircuitBreakerStatus('db')).toBe('closed');
  });

  it('an aborted trial does not close the circuit', async () => {
    const { m, run } = breakerManager({});
    for (let i = 0; i < 3; i++) await run(fail).catch(() => undefined);
    vi.advanceTimersByTime(1000);
    await expect(
      run(async () => {
        throw new AbortedError();
      }),
    ).rejects.toBeInstanceOf(AbortedError);
    expect(m.getCircuitBreakerStatus('db')).toBe('half_open');
    await run(ok);
    expect(m.getCircuitBreakerStatus('db')).toBe('closed');
  });

  it("the production layer's own rejections never count as failures", async () => {
    const { m, run } = breakerManager({ failureThreshold: 1 });
    await run(async () => {
      throw new RateLimitedError('user', 5);
    }).catch(() => undefined);
    expect(m.getCircuitBreakerStatus('db')).toBe('closed');
  });

  it('failure_rate mode opens when the failure ratio over the window passes the threshold', async () => {
    const { m, run } = breakerManager({ mode: 'failure_rate', failureRateThreshold: 0.5, samplingDurationMs: 5000, minimumRps: 1 });
    for (let i = 0; i < 10; i++) {
      await run(ok);
      vi.advanceTimersByTime(100);
    }
    expect(m.getCircuitBreakerStatus('db')).toBe('closed');
    for (let i = 0; i < 12; i++) {
      await run(fail).catch(() => undefined);
      vi.advanceTimersByTime(100);
    }
    expect(m.getCircuitBreakerStatus('db')).toBe('open');
  });

  it('state survives a restart through export and restore, as a copy', async () => {
    const { m, run } = breakerManager({});
    for (let i = 0; i < 3; i++) await run(fail).catch(() => undefined);
    const exported = m.exportBreakerState();
    const json = JSON.parse(JSON.stringify(exported)) as Record<string, unknown>;
    const restarted = manager({ retry: false, timeoutMs: 0, circuitBreaker: { failureThreshold: 3, recoveryTimeoutMs: 1000 } });
    restarted.restoreBreakerState(json);
    await expect(restarted.policyFor('db').execute(ok, call('db'), true)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(restarted.getCircuitBreakerStatus('db')).toBe('open');
    vi.advanceTimersByTime(1000);
    await expect(restarted.policyFor('db').execute(ok, call('db'), true)).resolves.toBe('ok');
  });

  it('a snapshot does not change when the breaker moves on (no live reference)', async () => {
    const { m, run } = breakerManager({ mode: 'failure_rate', samplingDurationMs: 5000 });
    await run(fail).catch(() => undefined);
    const before = JSON.stringify(m.exportBreakerState());
    const snapshot = m.exportBreakerState();
    for (let i = 0; i < 5; i++) await run(ok);
    expect(JSON.stringify(snapshot)).toBe(before);
  });
});
