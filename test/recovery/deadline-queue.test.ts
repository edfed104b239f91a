import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadlineQueue, type DeadlineEntry } from '../../src/deadlines/queue.js';
import { dateClock } from '../support/clock.js';

function entry(deadline: number, expired: number[]): DeadlineEntry {
  return { deadline, prev: null, next: null, expire: () => void expired.push(deadline) };
}

describe('DeadlineQueue with deadlines out of arrival order (attempts cut short by a call deadline)', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('expires every entry at its own time, an earlier one added later included', async () => {
    const queue = new DeadlineQueue(dateClock);
    const expired: number[] = [];
    queue.add(entry(1000, expired));
    queue.add(entry(1500, expired));
    // Earlier than everything queued: the timer armed for 1000 must not make it wait.
    queue.add(entry(200, expired));
    queue.add(entry(1200, expired));
    const removed = entry(700, expired);
    queue.add(removed);
    queue.remove(removed);
    expect(queue.pending).toBe(4);
    await vi.advanceTimersByTimeAsync(199);
    expect(expired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(expired).toEqual([200]);
    await vi.advanceTimersByTimeAsync(800);
    expect(expired).toEqual([200, 1000]);
    await vi.advanceTimersByTimeAsync(500);
    expect(expired).toEqual([200, 1000, 1200, 1500]);
    expect(queue.pending).toBe(0);
    queue.stop();
  });
});
