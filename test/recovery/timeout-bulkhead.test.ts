import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AbortedError, BulkheadRejectedError, TimeoutError } from '../../src/errors.js';
import { DeadlineQueue } from '../../src/deadlines/queue.js';
import { call, flush, manager } from './helpers.js';
import { manualClock } from '../support/clock.js';

describe('timeout', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('rejects with TIMEOUT and aborts the attempt signal', async () => {
    const m = manager({ retry: false, circuitBreaker: false, timeoutMs: 50 });
    let signal: AbortSignal | undefined;
    const result = m.policyFor('op').execute(
      (ctx) => {
        signal = ctx.signal;
        return new Promise(() => undefined);
      },
      call('op'),
      true,
    );
    result.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(49);
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).timeoutMs).toBe(50);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(error);
  });

  it('a signal read after the deadline is already aborted', async () => {
    const m = manager({ retry: false, circuitBreaker: false, timeoutMs: 10 });
    let late: AbortSignal | undefined;
    const result = m.policyFor('op').execute(
      async (ctx) => {
        await new Promise((r) => setTimeout(r, 20));
        late = ctx.signal;
      },
      call('op'),
      true,
    );
    result.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(30);
    await expect(result).rejects.toBeInstanceOf(TimeoutError);
    expect(late?.aborted).toBe(true);
  });

  it('a caller abort is reported as ABORTED, never as a timeout', async () => {
    const m = manager({ retry: false, circuitBreaker: false, timeoutMs: 1000 });
    const controller = new AbortController();
    let signal: AbortSignal | undefined;
    const result = m.policyFor('op').execute(
      (ctx) => {
        signal = ctx.signal;
        return new Promise(() => undefined);
      },
      call('op', controller.signal),
      true,
    );
    result.catch(() => undefined);
    controller.abort('user left');
    await expect(result).rejects.toBeInstanceOf(AbortedError);
    expect(signal?.aborted).toBe(true);
    expect(m.getOperationStats('op')?.timeouts).toBe(0);
  });

  it('the abandon signal of a shutdown reaches the operation', async () => {
    const m = manager({ retry: false, circuitBreaker: false, timeoutMs: 1000 });
    const abandon = new AbortController();
    let signal: AbortSignal | undefined;
    const result = m.policyFor('op').execute(
      (ctx) => {
        signal = ctx.signal;
        return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)));
      },
      call('op', undefined, abandon.signal),
      true,
    );
    abandon.abort(new Error('abandoned'));
    await expect(result).rejects.toThrow('abandoned');
    expect(signal?.aborted).toBe(true);
  });

  it('one timer serves every in-flight attempt, and settled ones leave the queue', async () => {
    const m = manager({ retry: false, circuitBreaker: false, timeoutMs: 1000 });
    const policy = m.policyFor('op');
    const results = Array.from({ length: 100 }, () => policy.execute(async () => 'done', call('op'), true));
    expect(vi.getTimerCount()).toBe(1);
    await Promise.all(results);
    await vi.advanceTimersByTimeAsync(1000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('DeadlineQueue expires in order and re-arms for the next head', () => {
    const clock = manualClock(0);
    const q = new DeadlineQueue(clock);
    const expired: number[] = [];
    const entry = (deadline: number) => ({ deadline, prev: null, next: null, expire: () => void expired.push(deadline) });
    const a = entry(100);
    const b = entry(150);
    const c = entry(200);
    q.add(a);
    clock.now = 50;
    q.add(b);
    q.add(c);
    q.remove(b);
    q.remove(b);
    expect(q.pending).toBe(2);
    clock.now = 100;
    vi.advanceTimersByTime(100);
    expect(expired).toEqual([100]);
    clock.now = 200;
    vi.advanceTimersByTime(100);
    expect(expired).toEqual([100, 200]);
    expect(q.pending).toBe(0);
  });
});

describe('bulkhead', () => {
  it('runs maxConcurrent, queues maxQueue and rejects the rest', async () => {
    const m = manager({ retry: false, circuitBreaker: false, timeoutMs: 0, bulkhead: { maxConcurrent: 2, maxQueue: 1 } });
    const policy = m.policyFor('op');
    const releases: Array<() => void> = [];
    let running = 0;
    let peak = 0;
    const op = () =>
      new Promise<void>((resolve) => {
        running++;
        peak = Math.max(peak, running);
        releases.push(() => {
          running--;
          resolve();
        });
      });
    const calls = [1, 2, 3].map(() => policy.execute(op, call('op'), true));
    await expect(policy.execute(op, call('op'), true)).rejects.toBeInstanceOf(BulkheadRejectedError);
    await flush();
    expect(running).toBe(2);
    releases.shift()!();
    await flush();
    expect(running).toBe(2);
    while (releases.length) {
      releases.shift()!();
      await flush();
    }
    await Promise.all(calls);
    expect(peak).toBe(2);
  });

  it('an aborted queued caller is released at once and does not stall the queue', async () => {
    const m = manager({ retry: false, circuitBreaker: false, timeoutMs: 0, bulkhead: { maxConcurrent: 1, maxQueue: 2 } });
    const policy = m.policyFor('op');
    let release!: () => void;
    const first = policy.execute(() => new Promise<string>((r) => (release = () => r('first'))), call('op'), true);
    const controller = new AbortController();
    let abortedRan = false;
    const aborted = policy.execute(
      async () => {
        abortedRan = true;
        return 'aborted';
      },
      call('op', controller.signal),
      true,
    );
    const third = policy.execute(async () => 'third', call('op'), true);
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortedError);
    release();
    await expect(first).resolves.toBe('first');
    await expect(third).resolves.toBe('third');
    expect(abortedRan).toBe(false);
  });

  it('a freed slot goes to the queued attempt, never past maxConcurrent; an abort frees its queue place at once', async () => {
    const m = manager({ retry: false, circuitBreaker: false, timeoutMs: 0, bulkhead: { maxConcurrent: 1, maxQueue: 1 } });
    const policy = m.policyFor('op');
    let running = 0;
    let peak = 0;
    const order: string[] = [];
    const op = (name: string) => async (): Promise<string> => {
      peak = Math.max(peak, ++running);
      order.push(name);
      await flush();
      running--;
      return name;
    };
    let release!: () => void;
    const first = policy.execute(() => new Promise<string>((r) => (release = () => r('first'))), call('op'), true);
    running = peak = 1;
    const controller = new AbortController();
    const leaving = policy.execute(op('never'), call('op', controller.signal), true);
    controller.abort();
    await expect(leaving).rejects.toBeInstanceOf(AbortedError);
    // Its place in the queue is free again at once.
    const queued = policy.execute(op('queued'), call('op'), true);
    await expect(policy.execute(op('refused'), call('op'), true)).rejects.toBeInstanceOf(BulkheadRejectedError);
    running = 0;
    release();
    const late = [1, 2, 3].map(() =>
      flush().then(() => policy.execute(op('late'), call('op'), true).catch((e: { code: string }) => e.code)),
    );
    await expect(Promise.all([first, queued])).resolves.toEqual(['first', 'queued']);
    await Promise.all(late);
    expect(order[0]).toBe('queued');
    expect(order).not.toContain('never');
    expect(peak).toBe(1);
  });
});
