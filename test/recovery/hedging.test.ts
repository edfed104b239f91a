import { trace, type Span } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallState, OperationContext } from '../../src/pipeline.js';
import type { CallStage } from '../../src/recovery/stage.js';
import { ErrorRecoveryManager, errorRecoveryConfigSchema } from '../../src/recovery/index.js';
import { Hedging, LatencyRing, hedgingConfigSchema } from '../../src/recovery/hedging/index.js';
import type { OperationRecovery } from '../../src/recovery/operation.js';
import { dateClock } from '../support/clock.js';
import { call } from './helpers.js';

const BASE = { retry: { maxRetries: 0 }, circuitBreaker: false, timeoutMs: 1000 };

function manager(defaults: Record<string, unknown>, dependencies: Record<string, unknown> = {}): ErrorRecoveryManager {
  const config = errorRecoveryConfigSchema.parse({ defaults: { ...BASE, ...defaults } });
  return new ErrorRecoveryManager(config, { clock: dateClock, dependencies: dependencies as never });
}

interface Seen {
  attempt: number;
  aborted: unknown;
}

/** An operation whose attempt n takes `durations(n)` ms (fake timers), and stops at once on its signal. */
function slowOp(durations: (attempt: number) => number, seen: Seen[] = [], fail?: (attempt: number) => boolean) {
  return (ctx: OperationContext): Promise<number> =>
    new Promise((resolve, reject) => {
      const record: Seen = { attempt: ctx.attempt, aborted: undefined };
      seen.push(record);
      const timer = setTimeout(
        () => (fail?.(ctx.attempt) ? reject(new Error(`attempt ${ctx.attempt} failed`)) : resolve(ctx.attempt)),
        durations(ctx.attempt),
      );
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        record.aborted = ctx.signal.reason;
        // A user's own error on abort: the stage must still not count it as a failure.
        reject(new Error('stopped'));
      });
    });
}

/** Runs `n` calls of 10 ms, one after the other, so the quantile has samples. */
async function learn(m: ErrorRecoveryManager, name: string, n = 20, ms = 10): Promise<void> {
  for (let i = 0; i < n; i++) {
    const done = m.executeWithRecovery(
      name,
      slowOp(() => ms),
    );
    await vi.advanceTimersByTimeAsync(ms);
    await done;
  }
}

function recordingSpan(): { span: Span; events: { name: string; attributes: unknown }[] } {
  const events: { name: string; attributes: unknown }[] = [];
  const span = trace.wrapSpanContext({ traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: 1 });
  span.addEvent = (name: string, attributes?: unknown) => {
    events.push({ name, attributes });
    return span;
  };
  return { span, events };
}

describe('hedging (fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('hedges no call before minSamples durations are in; then starts one more attempt after the recent p95 and takes the first success', async () => {
    const m = manager({ hedging: { minSamples: 20 } });
    const policy = m.policyFor('get') as OperationRecovery;
    const early: Seen[] = [];
    const first = m.executeWithRecovery(
      'get',
      slowOp(() => 100, early),
    );
    await vi.advanceTimersByTimeAsync(100);
    await expect(first).resolves.toBe(1);
    expect(early).toHaveLength(1);

    await learn(m, 'get', 19);
    const seen: Seen[] = [];
    const { span, events } = recordingSpan();
    const state = { ...call('get'), span };
    const start = Date.now();
    const result = policy.execute(
      slowOp((n) => (n === 1 ? 400 : 10), seen),
      state,
      true,
    );
    await vi.advanceTimersByTimeAsync(9);
    expect(seen).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen.map((s) => s.attempt)).toEqual([1, 2]);
    await vi.advanceTimersByTimeAsync(10);
    await expect(result).resolves.toBe(2);
    expect(Date.now() - start).toBe(20);
    // The loser was cancelled through its signal, with the layer's ABORTED.
    expect(seen[0]!.aborted).toMatchObject({ code: 'ABORTED' });
    expect(state.attempts).toBe(2);
    expect(events).toEqual([{ name: 'hedge', attributes: { 'production.attempt': 2, 'production.hedge.delay_ms': 10 } }]);
    expect(policy.hedging).toMatchObject({ hedged: 1, won: 1 });
  });

  it('keeps its delay when the slow share passes 1 - quantile: a cancelled first attempt counts at the delay it exceeded', async () => {
    const m = manager({ hedging: { minSamples: 20, samples: 64 } });
    const policy = m.policyFor('get') as OperationRecovery;
    await learn(m, 'get', 20);
    expect(policy.hedging!.delayMs()).toBe(10);
    // Every call slow now: each hedge wins after 10 + 10 ms. Counting the losers at 20 ms would move the p95 to
    // 20, then 30...; counted at the 10 ms delay it stays where the fast calls put it.
    for (let i = 0; i < 40; i++) {
      const done = m.executeWithRecovery(
        'get',
        slowOp((n) => (n === 1 ? 1000 : 10)),
      );
      await vi.advanceTimersByTimeAsync(20);
      await expect(done).resolves.toBe(2);
    }
    expect(policy.hedging!.delayMs()).toBe(10);
  });

  it('with a fixed delayMs, a call faster than it never hedges; the first attempt winning cancels the hedge', async () => {
    const m = manager({ hedging: { delayMs: 50 } });
    const fast: Seen[] = [];
    const quick = m.executeWithRecovery(
      'get',
      slowOp(() => 49, fast),
    );
    await vi.advanceTimersByTimeAsync(49);
    await expect(quick).resolves.toBe(1);
    expect(fast).toHaveLength(1);

    const seen: Seen[] = [];
    const result = m.executeWithRecovery(
      'get',
      slowOp((n) => (n === 1 ? 70 : 100), seen),
    );
    await vi.advanceTimersByTimeAsync(70);
    await expect(result).resolves.toBe(1);
    expect(seen[1]!.aborted).toMatchObject({ code: 'ABORTED' });
    // The pending hedge timer went with the call: nothing more starts.
    await vi.advanceTimersByTimeAsync(200);
    expect(seen).toHaveLength(2);
  });

  it('never hedges a call that is not idempotent (per call or per operation)', async () => {
    const m = manager({ hedging: { delayMs: 10 } });
    const seen: Seen[] = [];
    const perCall = m.executeWithRecovery(
      'write',
      slowOp(() => 50, seen),
      { idempotent: false },
    );
    await vi.advanceTimersByTimeAsync(50);
    await perCall;
    const n = manager({ hedging: { delayMs: 10 }, idempotent: false });
    const perOperation = n.executeWithRecovery(
      'write',
      slowOp(() => 50, seen),
    );
    await vi.advanceTimersByTimeAsync(50);
    await perOperation;
    expect(seen.map((s) => s.attempt)).toEqual([1, 1]);
    expect(n.policyFor('write')).toMatchObject({ hedging: undefined });
  });

  it("draws each hedge from the dependency's retry budget: with the budget empty, no hedge starts", async () => {
    const m = manager(
      { hedging: { delayMs: 10, maxHedgedAttempts: 1 }, dependency: 'db' },
      { db: { retryBudget: { ratio: 0, minRetriesPerSecond: 0.1, ttlMs: 10_000 } } },
    );
    const seen: Seen[] = [];
    // The reserve holds one token: the first slow call hedges, the second cannot.
    for (let i = 0; i < 2; i++) {
      const done = m.executeWithRecovery(
        'q',
        slowOp((n) => (n === 1 ? 50 : 5), seen),
      );
      await vi.advanceTimersByTimeAsync(50);
      await done;
    }
    expect(seen.map((s) => s.attempt)).toEqual([1, 2, 1]);
    expect(m.policyFor('q')).toMatchObject({ hedging: { hedged: 1, skipped: { budget: 1, deadline: 0 } } });
    expect(m.retryBudgets()[0]).toMatchObject({ dependency: 'db', exhausted: 1 });
  });

  it("never runs past the call's deadline: the hedge is cut with the first attempt at the deadline", async () => {
    const m = manager({ hedging: { delayMs: 20 } });
    const seen: Seen[] = [];
    const start = Date.now();
    const result = m.executeWithRecovery(
      'get',
      slowOp(() => 500, seen),
      { deadlineMs: 30 },
    );
    const settled = expect(result).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    await vi.advanceTimersByTimeAsync(30);
    await settled;
    expect(Date.now() - start).toBe(30);
    expect(seen).toHaveLength(2);
    expect(seen.every((s) => s.aborted !== undefined)).toBe(true);
  });

  it('waits for the hedge when the first attempt fails after it started; fails with the last error when all fail', async () => {
    const m = manager({ hedging: { delayMs: 10 } });
    const rescued = m.executeWithRecovery(
      'get',
      slowOp(
        (n) => (n === 1 ? 15 : 10),
        [],
        (n) => n === 1,
      ),
    );
    await vi.advanceTimersByTimeAsync(20);
    await expect(rescued).resolves.toBe(2);

    const failing = m.executeWithRecovery(
      'get',
      slowOp(
        (n) => (n === 1 ? 15 : 10),
        [],
        () => true,
      ),
    );
    const settled = expect(failing).rejects.toThrow('attempt 2 failed');
    await vi.advanceTimersByTimeAsync(20);
    await settled;
    // A first attempt failing before the delay ends the call at once: no hedge after a failure.
    const seen: Seen[] = [];
    const early = m.executeWithRecovery(
      'get',
      slowOp(
        () => 5,
        seen,
        () => true,
      ),
    );
    const failedEarly = expect(early).rejects.toThrow('attempt 1 failed');
    await vi.advanceTimersByTimeAsync(5);
    await failedEarly;
    await vi.advanceTimersByTimeAsync(100);
    expect(seen).toHaveLength(1);
  });

  it('a cancelled loser is no breaker failure, even when it throws an error of its own on abort', async () => {
    const m = manager({ hedging: { delayMs: 10 }, circuitBreaker: { failureThreshold: 1 } });
    for (let i = 0; i < 3; i++) {
      const done = m.executeWithRecovery(
        'get',
        slowOp((n) => (n === 1 ? 100 : 5)),
      );
      await vi.advanceTimersByTimeAsync(15);
      await expect(done).resolves.toBe(2);
    }
    expect(m.healthCheck()).toMatchObject({ openCircuitBreakers: [], breakerStates: { closed: 1 } });
  });

  it('rejects a bad hedging setting with INVALID_CONFIG naming the field', () => {
    const m = manager({});
    expect(() => m.configureOperation('get', { hedging: { quantile: 2 } })).toThrow(/operations\.get\.hedging\.quantile/);
    expect(() => m.configureOperation('get', { hedging: { maxHedgedAttempts: 1, delayMs: 25 } })).not.toThrow();
    expect(m.getOperationConfig('get').hedging).toMatchObject({ delayMs: 25, quantile: 0.95, minSamples: 20 });
  });
});

describe('Hedging, on a runner of its own', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** The stage below: starts the operation with a context of its own and never cuts it. */
  const below: CallStage = {
    execute<T>(operation: (ctx: OperationContext) => Promise<T>, state: CallState) {
      const ctx = { attempt: ++state.attempts, signal: new AbortController().signal } as unknown as OperationContext;
      return operation(ctx);
    },
  };

  it('starts no hedge when the deadline (less the margin) has passed by the time the delay ends; the span says why', async () => {
    const { span, events } = recordingSpan();
    const state = { ...call('get', undefined, undefined, Date.now() + 20), span };
    const hedging = new Hedging(hedgingConfigSchema.parse({ delayMs: 20 }), dateClock, { deadlineMarginMs: 5 }, below);
    let finish!: (value: string) => void;
    const result = hedging.execute(() => new Promise<string>((resolve) => (finish = resolve)), state);
    await vi.advanceTimersByTimeAsync(20);
    expect(state.attempts).toBe(1);
    expect(events).toEqual([{ name: 'hedge.skipped', attributes: { reason: 'deadline' } }]);
    expect(hedging.skipped).toEqual({ budget: 0, deadline: 1 });
    finish('done');
    await expect(result).resolves.toBe('done');
  });

  it('records a loser once, when it lost, even if it returns later ignoring its signal', async () => {
    const state = call('get');
    const hedging = new Hedging(hedgingConfigSchema.parse({ delayMs: 20 }), dateClock, {}, below);
    const finishers: ((value: string) => void)[] = [];
    const result = hedging.execute(() => new Promise<string>((resolve) => finishers.push(resolve)), state);
    await vi.advanceTimersByTimeAsync(20);
    finishers[1]!('hedge');
    await expect(result).resolves.toBe('hedge');
    expect(hedging.latency.size).toBe(2);
    finishers[0]!('late first');
    await vi.advanceTimersByTimeAsync(0);
    expect(hedging.latency.size).toBe(2);
  });

  it('starts no hedge once the caller aborted or a shutdown abandoned the call', async () => {
    const hedging = new Hedging(hedgingConfigSchema.parse({ delayMs: 20 }), dateClock, {}, below);
    for (const which of ['caller', 'abandon'] as const) {
      const abort = new AbortController();
      const state = which === 'caller' ? call('get', abort.signal) : call('get', undefined, abort.signal);
      let finish!: (value: string) => void;
      const result = hedging.execute(() => new Promise<string>((resolve) => (finish = resolve)), state);
      abort.abort();
      await vi.advanceTimersByTimeAsync(20);
      expect(state.attempts).toBe(1);
      finish('done');
      await result;
    }
    expect(hedging.hedged).toBe(0);
  });

  it('with maxHedgedAttempts 2, a second hedge starts one more delay after the first', async () => {
    const state = call('get');
    const hedging = new Hedging(hedgingConfigSchema.parse({ delayMs: 20, maxHedgedAttempts: 2 }), dateClock, {}, below);
    const finishers: ((value: string) => void)[] = [];
    const result = hedging.execute(() => new Promise<string>((resolve) => finishers.push(resolve)), state);
    await vi.advanceTimersByTimeAsync(20);
    expect(state.attempts).toBe(2);
    await vi.advanceTimersByTimeAsync(20);
    expect(state.attempts).toBe(3);
    await vi.advanceTimersByTimeAsync(100);
    expect(state.attempts).toBe(3);
    finishers[2]!('third');
    await expect(result).resolves.toBe('third');
    expect(hedging).toMatchObject({ hedged: 2, won: 1 });
  });
});

describe('LatencyRing', () => {
  it('answers the quantile of the last `capacity` durations only', () => {
    const ring = new LatencyRing(100, 0.95, 1);
    for (let i = 1; i <= 100; i++) ring.record(i);
    expect(ring.quantileMs()).toBe(95);
    for (let i = 0; i < 100; i++) ring.record(1000);
    expect(ring.quantileMs()).toBe(1000);
    ring.record(Number.NaN);
    ring.record(-1);
    expect(ring.size).toBe(100);
  });
});
