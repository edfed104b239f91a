import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WaitQueue, type WaitOrder } from '../../src/internal/wait-queue.js';

/** A queue whose timeouts reject with `timeout:<tag>`. */
function queue(priorities = 1, order: WaitOrder = 'fifo'): WaitQueue<string, string> {
  return new WaitQueue<string, string>({ priorities, order: () => order, timeoutError: (tag) => new Error(`timeout:${tag}`) });
}

/** Serves every waiter in the queue's order, granting each its own tag; returns the tags in serving order. */
async function serveAll(q: WaitQueue<string, string>, waits: Promise<string>[]): Promise<string[]> {
  const served: string[] = [];
  for (let w = q.first(); w !== undefined; w = q.first()) {
    served.push(w.tag);
    q.grant(w, w.tag);
  }
  await Promise.all(waits);
  return served;
}

describe('WaitQueue (the one wait queue of the permit pool, the adaptive limit and the bulkhead)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('serves FIFO or LIFO within a priority, and the highest priority first', async () => {
    const fifo = queue();
    const a = ['a', 'b', 'c'].map((tag) => fifo.wait(0, tag, Infinity));
    expect(await serveAll(fifo, a)).toEqual(['a', 'b', 'c']);
    const lifo = queue(1, 'lifo');
    const b = ['a', 'b', 'c'].map((tag) => lifo.wait(0, tag, Infinity));
    expect(await serveAll(lifo, b)).toEqual(['c', 'b', 'a']);
    const ranked = queue(3);
    const c = [fixed(ranked, 0, 'low'), fixed(ranked, 2, 'high'), fixed(ranked, 1, 'mid'), fixed(ranked, 2, 'high2')];
    expect(await serveAll(ranked, c)).toEqual(['high', 'high2', 'mid', 'low']);
    expect(ranked.size).toBe(0);
  });

  it('a waiter times out on its own timer and leaves at once; the ones behind it are not blocked', async () => {
    const q = queue();
    const first = q.wait(0, 'first', 100);
    const second = q.wait(0, 'second', 1000);
    const timedOut = expect(first).rejects.toThrow('timeout:first');
    await vi.advanceTimersByTimeAsync(100);
    await timedOut;
    expect(q.size).toBe(1);
    expect(q.head()?.tag).toBe('second');
    q.grant(q.head()!, 'granted');
    await expect(second).resolves.toBe('granted');
    // Its timer is gone with it: nothing fires later.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an aborted waiter is rejected with ABORTED and unlinked from the middle in O(1); a second refusal is a no-op', async () => {
    const q = queue();
    const abort = new AbortController();
    const waits = [q.wait(0, 'a', Infinity), q.wait(0, 'b', 1000, abort.signal), q.wait(0, 'c', Infinity)];
    const middle = q.head()!.next!;
    abort.abort();
    await expect(waits[1]).rejects.toMatchObject({ code: 'ABORTED' });
    expect(q.refuse(middle, new Error('again'))).toBe(false);
    expect(q.size).toBe(2);
    expect(await serveAll(q, [waits[0]!, waits[2]!])).toEqual(['a', 'c']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuseAll rejects every waiter with the error made for it; the tail is the one to evict', async () => {
    const q = queue(2);
    const waits = [q.wait(0, 'x', 500), q.wait(1, 'y', 500), q.wait(0, 'z', 500)];
    expect(q.tail(0)?.tag).toBe('z');
    expect(q.waitingAtOrAbove(1)).toBe(true);
    q.refuseAll((tag, priority) => new Error(`closed:${tag}:${priority}`));
    await expect(waits[0]).rejects.toThrow('closed:x:0');
    await expect(waits[1]).rejects.toThrow('closed:y:1');
    await expect(waits[2]).rejects.toThrow('closed:z:0');
    expect(q.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

function fixed(q: WaitQueue<string, string>, priority: number, tag: string): Promise<string> {
  return q.wait(priority, tag, Infinity);
}
