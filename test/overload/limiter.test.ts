import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdaptiveLimiter, type AdaptivePermit } from '../../src/overload/adaptive-limiter.js';
import { adaptiveConcurrencySchema, type AdaptiveConcurrencyConfigInput } from '../../src/overload/config.js';
import type { Criticality } from '../../src/errors.js';
import { manualClock } from '../support/clock.js';

const clock = manualClock();
const shedLog: Array<[string, Criticality]> = [];

function limiter(over: AdaptiveConcurrencyConfigInput = {}): AdaptiveLimiter {
  const config = adaptiveConcurrencySchema.parse({
    algorithm: 'aimd',
    initialLimit: 4,
    minLimit: 1,
    maxLimit: 8,
    windowSamples: 2,
    ...over,
  });
  return new AdaptiveLimiter('op', config, clock, (op, c) => shedLog.push([op, c]));
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

beforeEach(() => {
  vi.useFakeTimers();
  shedLog.length = 0;
});
afterEach(() => vi.useRealTimers());

describe('AdaptiveLimiter', () => {
  it('admits up to the limit, then queues, and a released slot goes to the first waiter (FIFO)', async () => {
    const l = limiter({ queueOrder: 'fifo' });
    const held = [0, 1, 2, 3].map(() => l.tryAcquire('critical')!);
    expect(held.every(Boolean)).toBe(true);
    expect(l.tryAcquire('critical')).toBeUndefined();
    const order: number[] = [];
    const waits = [1, 2].map((n) => l.acquire('critical').then((p) => (order.push(n), p)));
    expect(l.waiting).toBe(2);
    held[0]!.release();
    held[1]!.release();
    await Promise.all(waits);
    expect(order).toEqual([1, 2]);
    expect(l.inFlight).toBe(4);
  });

  it('serves the newest waiter first with queueOrder lifo (the default)', async () => {
    const l = limiter();
    const held = [0, 1, 2, 3].map(() => l.tryAcquire('critical')!);
    const order: number[] = [];
    const waits = [1, 2, 3].map((n) => l.acquire('critical').then((p) => (order.push(n), p)));
    for (const p of held.slice(0, 3)) p.release();
    await Promise.all(waits);
    expect(order).toEqual([3, 2, 1]);
  });

  it('bounds the queue and the wait: OVERLOADED with the class and a retry hint, never more waiters than queueSize', async () => {
    const l = limiter({ queueSize: 1, maxWaitMs: 30 });
    for (let i = 0; i < 4; i++) l.tryAcquire('critical');
    const waiting = l.acquire('critical');
    await expect(l.acquire('critical')).rejects.toMatchObject({
      code: 'OVERLOADED',
      reason: 'queue_full',
      criticality: 'critical',
      operation: 'op',
    });
    expect(l.waiting).toBe(1);
    vi.advanceTimersByTime(30);
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'OVERLOADED', reason: 'queue_timeout' });
    expect((error as { retryAfterMs: number }).retryAfterMs).toBeGreaterThanOrEqual(1);
    expect(l.waiting).toBe(0);
    expect(shedLog).toEqual([
      ['op', 'critical'],
      ['op', 'critical'],
    ]);
  });

  it('refuses at once without a queue (maxWaitMs 0), and a waiter leaves on abort with ABORTED', async () => {
    const noQueue = limiter({ maxWaitMs: 0 });
    for (let i = 0; i < 4; i++) noQueue.tryAcquire('critical');
    await expect(noQueue.acquire('critical')).rejects.toMatchObject({ code: 'OVERLOADED', reason: 'limit' });
    const l = limiter();
    for (let i = 0; i < 4; i++) l.tryAcquire('critical');
    const ac = new AbortController();
    const wait = l.acquire('critical', ac.signal);
    ac.abort(new Error('gone'));
    await expect(wait).rejects.toMatchObject({ code: 'ABORTED' });
    expect(l.waiting).toBe(0);
  });

  it('sheds the lowest class first: sheddable may fill only its share, and freed slots go to the most important waiter', async () => {
    const l = limiter({ initialLimit: 8, shares: { sheddable: 0.5, sheddable_plus: 0.75 } });
    const sheddable = [0, 1, 2, 3].map(() => l.tryAcquire('sheddable'));
    expect(sheddable.every(Boolean)).toBe(true);
    expect(l.tryAcquire('sheddable')).toBeUndefined();
    expect(l.tryAcquire('sheddable_plus')).toBeDefined();
    expect(l.tryAcquire('sheddable_plus')).toBeDefined();
    expect(l.tryAcquire('sheddable_plus')).toBeUndefined();
    expect(l.tryAcquire('critical')).toBeDefined();
    const critical = l.tryAcquire('critical')!;
    expect(l.tryAcquire('critical_plus')).toBeUndefined();
    const order: string[] = [];
    const low = l.acquire('sheddable').then((p) => (order.push('sheddable'), p));
    const high = l.acquire('critical_plus').then((p) => (order.push('critical_plus'), p));
    critical.release();
    await high;
    expect(order).toEqual(['critical_plus']);
    expect(l.waiting).toBe(1);
    l.close();
    await expect(low).rejects.toMatchObject({ code: 'OVERLOADED', reason: 'closed', criticality: 'sheddable' });
  });

  it('a full queue pushes out a less important waiter for a more important one', async () => {
    const l = limiter({ queueSize: 2 });
    for (let i = 0; i < 4; i++) l.tryAcquire('critical');
    const a = l.acquire('sheddable');
    const b = l.acquire('sheddable_plus');
    const c = l.acquire('critical');
    await expect(a).rejects.toMatchObject({ code: 'OVERLOADED', reason: 'queue_full', criticality: 'sheddable' });
    const d = l.acquire('critical_plus');
    await expect(b).rejects.toMatchObject({ criticality: 'sheddable_plus' });
    await expect(l.acquire('critical')).rejects.toMatchObject({ reason: 'queue_full', criticality: 'critical' });
    expect(l.waiting).toBe(2);
    l.close();
    await expect(c).rejects.toMatchObject({ reason: 'closed' });
    await expect(d).rejects.toMatchObject({ reason: 'closed' });
  });

  it('learns from released permits: fast windows raise the limit, drops lower it, ignored outcomes do nothing', async () => {
    const l = limiter({ aimd: { latencyThresholdMs: 100, backoffRatio: 0.5 } });
    const take = (): AdaptivePermit[] => [0, 1, 2, 3].map(() => l.tryAcquire('critical')!);
    let held = take();
    clock.now += 10;
    for (const p of held) p.release('success');
    expect(l.limit).toBe(5); // the first window saw the limit in use (+1); the second saw only 2 of 5 (no change)
    held = take();
    for (const p of held) p.release('ignore');
    expect(l.limit).toBe(5);
    held = take();
    held[0]!.release('dropped');
    held[0]!.release('dropped'); // a second release of one permit is nothing
    held[1]!.release('success');
    expect(l.limit).toBe(2);
    expect(l.snapshot()).toMatchObject({ operation: 'op', algorithm: 'aimd', limit: 2, inFlight: 2, minLimit: 1, maxLimit: 8 });
    await settle();
  });

  it('never lets more than the limit in flight under a storm of acquires and releases', async () => {
    const l = limiter({ initialLimit: 5, maxLimit: 5, queueSize: 1000, maxWaitMs: 10_000 });
    let peak = 0;
    const work = Array.from({ length: 200 }, async () => {
      const p = await l.acquire('critical');
      peak = Math.max(peak, l.inFlight);
      await Promise.resolve();
      p.release();
    });
    await Promise.all(work);
    expect(peak).toBeLessThanOrEqual(5);
    expect(l.peakInFlight).toBeLessThanOrEqual(5);
    expect(l.inFlight).toBe(0);
  });
});
