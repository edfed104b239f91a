import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AbortedError, TimeoutError } from '../../src/errors.js';
import { AwaitedTimers } from '../../src/internal/awaited-timers.js';
import {
  backgroundTimers,
  hotPathClock,
  awaitedTimers,
  callWithTimeout,
  Deadline,
  onAbort,
  raceAbort,
  settleWithin,
  sleep,
  sleepUnlessAborted,
  systemClock,
} from '../../src/internal/time.js';

const listeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

describe('the time module', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('systemClock reads wall and monotonic time at each call (fake timers move both)', () => {
    const wall = systemClock.wall();
    const mono = systemClock.monotonic();
    vi.advanceTimersByTime(1500);
    expect(systemClock.wall() - wall).toBe(1500);
    expect(systemClock.monotonic() - mono).toBeCloseTo(1500, 0);
  });

  it('onAbort runs once with the reason, at once when already aborted, and its guard removes the listener', () => {
    const controller = new AbortController();
    const seen: unknown[] = [];
    const guard = onAbort(controller.signal, (reason) => seen.push(reason));
    expect(listeners(controller.signal)).toBe(1);
    guard.release();
    expect(listeners(controller.signal)).toBe(0);
    onAbort(controller.signal, (reason) => seen.push(reason));
    controller.abort('first');
    onAbort(controller.signal, (reason) => seen.push(`late ${String(reason)}`));
    expect(seen).toEqual(['first', 'late first']);
  });

  it('sleep ends with ABORTED on either signal and leaves no listener behind', async () => {
    const caller = new AbortController();
    const shutdown = new AbortController();
    const slept = sleep(1000, caller.signal, shutdown.signal);
    expect(listeners(caller.signal)).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    await expect(slept).resolves.toBeUndefined();
    expect([listeners(caller.signal), listeners(shutdown.signal)]).toEqual([0, 0]);
    const cut = sleep(1000, caller.signal, shutdown.signal);
    shutdown.abort('bye');
    await expect(cut).rejects.toMatchObject({ code: 'ABORTED', cause: 'bye' });
    expect(listeners(caller.signal)).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    await expect(sleep(5, shutdown.signal)).rejects.toBeInstanceOf(AbortedError);
  });

  it('sleepUnlessAborted resolves true after the wait, false on abort, and never rejects', async () => {
    const stop = new AbortController();
    const full = sleepUnlessAborted(200, stop.signal);
    await vi.advanceTimersByTimeAsync(200);
    await expect(full).resolves.toBe(true);
    const cut = sleepUnlessAborted(200, stop.signal);
    stop.abort();
    await expect(cut).resolves.toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    await expect(sleepUnlessAborted(200, stop.signal)).resolves.toBe(false);
    expect(listeners(stop.signal)).toBe(0);
  });

  it('a Deadline fires TIMEOUT after its time or the parent reason first, and dispose frees both', () => {
    const parent = new AbortController();
    const timed = new Deadline(100, 'phase', parent.signal);
    vi.advanceTimersByTime(100);
    expect(timed.timedOut).toBe(true);
    expect(timed.signal.reason).toBeInstanceOf(TimeoutError);
    timed.dispose();
    const cut = new Deadline(100, 'phase', parent.signal);
    parent.abort('forced');
    expect(cut.timedOut).toBe(false);
    expect(cut.signal.reason).toBe('forced');
    cut.dispose();
    expect(listeners(parent.signal)).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('settleWithin reports ok, error or aborted, and catches work that fails after losing', async () => {
    const stop = new AbortController();
    await expect(settleWithin(Promise.resolve(1), stop.signal)).resolves.toEqual({ status: 'ok', value: 1 });
    await expect(settleWithin(Promise.reject(new Error('x')), stop.signal)).resolves.toMatchObject({ status: 'error' });
    let fail!: (error: Error) => void;
    const late = new Promise((_, reject) => (fail = reject));
    const race = settleWithin(late, stop.signal);
    stop.abort();
    await expect(race).resolves.toEqual({ status: 'aborted' });
    fail(new Error('too late'));
    await vi.advanceTimersByTimeAsync(0);
    expect(listeners(stop.signal)).toBe(0);
  });

  it('raceAbort rejects on abort with the mapped error, and removes its listener when the work wins', async () => {
    const signal = new AbortController();
    await expect(raceAbort(Promise.resolve('done'), signal.signal, () => new Error('aborted'))).resolves.toBe('done');
    expect(listeners(signal.signal)).toBe(0);
    const pending = raceAbort(new Promise(() => undefined), signal.signal, (reason) => new AbortedError(reason));
    signal.abort('stop');
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED', cause: 'stop' });
  });

  it('callWithTimeout aborts the work at its timeout whether or not the work listens, and catches it failing late', async () => {
    let seen: AbortSignal | undefined;
    let failLate!: (error: Error) => void;
    const call = callWithTimeout(
      (signal) => {
        seen = signal;
        return new Promise((_, reject) => (failLate = reject));
      },
      500,
      { what: 'probe' },
    );
    const outcome = call.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(500);
    const error = await outcome;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe('probe timed out after 500 ms');
    expect(seen!.aborted).toBe(true);
    expect(seen!.reason).toBe(error);
    failLate(new Error('after the cut-off'));
    await vi.advanceTimersByTimeAsync(0);
  });

  it('callWithTimeout ends at once on stop with the stop error, and never starts work when stop already fired', async () => {
    const stop = new AbortController();
    const running = callWithTimeout(() => new Promise(() => undefined), 10_000, {
      what: 'deliver',
      stop: stop.signal,
      stopError: () => new Error('stopped by shutdown'),
    });
    stop.abort(new Error('shutdown'));
    await expect(running).rejects.toThrow('stopped by shutdown');
    expect(vi.getTimerCount()).toBe(0);
    expect(listeners(stop.signal)).toBe(0);
    const work = vi.fn(() => Promise.resolve(1));
    await expect(callWithTimeout(work, 10_000, { what: 'deliver', stop: stop.signal })).rejects.toThrow('shutdown');
    expect(work).not.toHaveBeenCalled();
    await expect(callWithTimeout(() => Promise.resolve(7), 10, { what: 'quick' })).resolves.toBe(7);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('the hot-path clock', () => {
  it('reads the same clocks as systemClock, without the global getter', () => {
    expect(Math.abs(hotPathClock.monotonic() - systemClock.monotonic())).toBeLessThan(50);
    expect(Math.abs(hotPathClock.wall() - Date.now())).toBeLessThan(50);
  });
});

describe('which timers keep the process alive', () => {
  it('awaited timers are ref’d, background timers are not, and AwaitedTimers follow their holders', async () => {
    const awaited = awaitedTimers.setTimeout(() => undefined, 60_000);
    const background = backgroundTimers.setTimeout(() => undefined, 60_000);
    expect([awaited.hasRef(), background.hasRef()]).toEqual([true, false]);
    awaitedTimers.clearTimeout(awaited);
    backgroundTimers.clearTimeout(background);
    const timers = new AwaitedTimers();
    const t = timers.setTimeout(() => undefined, 60_000);
    expect(t.hasRef()).toBe(false);
    let release!: () => void;
    const held = timers.hold(new Promise<void>((resolve) => (release = resolve)));
    expect(t.hasRef()).toBe(true);
    release();
    await held;
    expect(t.hasRef()).toBe(false);
    timers.clearTimeout(t);
  });
});
