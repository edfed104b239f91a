import { performance as perfHooks } from 'node:perf_hooks';
import { TimeoutError, abortError, type ProductionError } from '../errors.js';
import { createGuard, type Guard } from '../guard.js';

/**
 * Clocks, timers, sleeps, deadlines and abort handling, in one leaf module that every component uses and that
 * uses no component. Two rules hold here so they hold everywhere:
 * - a timer a caller awaits keeps the process alive ({@link awaitedTimers}, or an `AwaitedTimers` while held);
 *   background timers are unref'd ({@link backgroundTimers});
 * - whatever races an abort signal removes its listener when it settles, so long-lived signals (a caller's, the
 *   shutdown's) do not collect listeners.
 */

/**
 * The one clock shape of the library: wall time for what a person reads (timestamps, checkpoints, alert
 * times), monotonic time for what is measured (durations, deadlines, rate limits). Tests inject their own.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  wall(): number;
  /** Milliseconds from an arbitrary origin; never goes back with NTP steps. */
  monotonic(): number;
}

/**
 * `Date.now()` and `performance.now()`, looked up at each call, so fake timers that replace them apply.
 */
export const systemClock: Clock = {
  wall: () => Date.now(),
  monotonic: () => performance.now(),
};

/**
 * The same readings as {@link systemClock}, with the monotonic one from `node:perf_hooks` directly: the global
 * `performance` is a getter, a few ns per read, which a rate-limit check (one read per check) notices. Fake
 * timers do not move it. The default of the limits, whose tests drive them with clocks of their own.
 */
export const hotPathClock: Clock = {
  wall: () => Date.now(),
  monotonic: () => perfHooks.now(),
};

/** A way to schedule one-shot timers. */
export interface Timers {
  /** Runs `fn` once after `ms`. */
  setTimeout(fn: () => void, ms: number): NodeJS.Timeout;
  /** Cancels a timer of this set (undefined is ignored). */
  clearTimeout(timer: NodeJS.Timeout | undefined): void;
}

const clear = (timer: NodeJS.Timeout | undefined): void => {
  if (timer !== undefined) clearTimeout(timer);
};

/**
 * Timers a caller awaits: ref'd, so the process stays alive until they fire or are cleared (an unref'd one
 * would let a script end with an unsettled promise, exit code 13). The global `setTimeout` is looked up at
 * each call, so fake timers apply.
 */
export const awaitedTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: clear,
};

/** Timers of background work nobody awaits: unref'd, so they never keep the process alive. */
export const backgroundTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: clear,
};

/**
 * Calls `listener` with the abort reason once `signal` aborts, or at once when it already has. Releasing the
 * guard removes the listener (releasing after it ran is harmless).
 */
export function onAbort(signal: AbortSignal, listener: (reason: unknown) => void): Guard {
  if (signal.aborted) {
    listener(signal.reason);
    return createGuard(() => undefined);
  }
  const handler = (): void => listener(signal.reason);
  signal.addEventListener('abort', handler, { once: true });
  return createGuard(() => signal.removeEventListener('abort', handler));
}

/**
 * Waits `ms`, ending at once with ABORTED (the signal's reason as `cause`; DEADLINE_EXCEEDED when the reason is one) when either
 * signal aborts. The timer is ref'd: a caller awaits it.
 */
export function sleep(ms: number, first?: AbortSignal, second?: AbortSignal): Promise<void> {
  if (first?.aborted) return Promise.reject(abortError(first.reason));
  if (second?.aborted) return Promise.reject(abortError(second.reason));
  return new Promise((resolve, reject) => {
    const done = (error?: ProductionError): void => {
      clearTimeout(timer);
      firstAbort?.release();
      secondAbort?.release();
      if (error === undefined) resolve();
      else reject(error);
    };
    const timer = setTimeout(done, ms);
    const firstAbort = first && onAbort(first, (reason) => done(abortError(reason)));
    const secondAbort = second && onAbort(second, (reason) => done(abortError(reason)));
  });
}

/**
 * Resolves true after `ms`, or false as soon as `signal` aborts (at once when it already has). Never rejects.
 * `timers` decides whether the wait keeps the process alive (default: it does, a caller awaits it).
 */
export function sleepUnlessAborted(ms: number, signal: AbortSignal, timers: Timers = awaitedTimers): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = timers.setTimeout(() => {
      aborted.release();
      resolve(true);
    }, ms);
    const aborted = onAbort(signal, () => {
      timers.clearTimeout(timer);
      resolve(false);
    });
  });
}

/**
 * An AbortSignal that fires with a TIMEOUT ({@link TimeoutError} naming `what`) after `ms`, or with the
 * parent's reason when `parent` fires first. `dispose()` stops the timer and unlinks from the parent.
 */
export class Deadline implements Disposable {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly parentAbort: Guard | undefined;

  constructor(
    ms: number,
    what: string,
    parent?: AbortSignal,
    private readonly timers: Timers = awaitedTimers,
  ) {
    if (parent?.aborted) {
      this.controller.abort(parent.reason);
      return;
    }
    this.timer = timers.setTimeout(() => this.controller.abort(new TimeoutError(what, ms)), ms);
    if (parent !== undefined) this.parentAbort = onAbort(parent, (reason) => this.controller.abort(reason));
  }

  /** Aborted at the deadline (reason: a `TimeoutError`) or with the parent's reason. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True when this deadline's own timer fired (not the parent). */
  get timedOut(): boolean {
    return this.controller.signal.aborted && this.controller.signal.reason instanceof TimeoutError;
  }

  /** Stops the timer and unlinks from the parent. */
  dispose(): void {
    this.timers.clearTimeout(this.timer);
    this.parentAbort?.release();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** How a piece of work ended when raced against a signal. */
export type Settled<T> = { status: 'ok'; value: T } | { status: 'error'; error: unknown } | { status: 'aborted' };

/**
 * Waits for `work` or for `signal`, whichever comes first. Work that loses the race keeps running but its
 * rejection is caught here, so a hung or late-failing piece of work never becomes an unhandled rejection.
 */
export function settleWithin<T>(work: PromiseLike<T> | T, signal: AbortSignal): Promise<Settled<T>> {
  const settled = Promise.resolve(work).then(
    (value): Settled<T> => ({ status: 'ok', value }),
    (error: unknown): Settled<T> => ({ status: 'error', error }),
  );
  if (signal.aborted) return Promise.resolve({ status: 'aborted' });
  return new Promise((resolve) => {
    const aborted = onAbort(signal, () => resolve({ status: 'aborted' }));
    void settled.then((result) => {
      aborted.release();
      resolve(result);
    });
  });
}

/**
 * Settles as `work` does, or rejects with `toError(reason)` as soon as `signal` aborts (work that loses keeps
 * running; its late rejection is caught).
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal, toError: (reason: unknown) => unknown): Promise<T> {
  if (signal.aborted) {
    work.catch(noop);
    return Promise.reject(toError(signal.reason));
  }
  return new Promise<T>((resolve, reject) => {
    const aborted = onAbort(signal, (reason) => reject(toError(reason)));
    work.then(
      (value) => {
        aborted.release();
        resolve(value);
      },
      (error: unknown) => {
        aborted.release();
        reject(error);
      },
    );
  });
}

/** Options of {@link callWithTimeout}. */
export interface CallWithTimeoutOptions {
  /** Names the work in the TIMEOUT error. */
  readonly what: string;
  /** Ends the call early (shutdown): the work's signal aborts and the call rejects with `stopError(reason)`. */
  readonly stop?: AbortSignal;
  /** The rejection when `stop` aborts; default the reason when it is an Error. */
  readonly stopError?: (reason: unknown) => Error;
  /** Where the timeout timer comes from (an `AwaitedTimers` for work that runs in the background). */
  readonly timers?: Timers;
}

/**
 * Runs `fn` with its own signal and settles with its result, or rejects with TIMEOUT after `timeoutMs` (or
 * with the stop error when `stop` aborts), aborting the signal, whether or not `fn` honours it: nothing
 * waits on work that hangs (as OTel's `callWithTimeout`, with the abort handed to the work). A late
 * rejection of `fn` is caught.
 */
export function callWithTimeout<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  options: CallWithTimeoutOptions,
): Promise<T> {
  const timers = options.timers ?? awaitedTimers;
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let stopped: Guard | undefined;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      timers.clearTimeout(timer);
      stopped?.release();
      return true;
    };
    // Cut off: the work's signal aborts with the same reason the caller sees.
    const cutOff = (signalReason: unknown, error: unknown): void => {
      if (!settle()) return;
      controller.abort(signalReason);
      reject(error);
    };
    const timer = timers.setTimeout(() => {
      const error = new TimeoutError(options.what, timeoutMs);
      cutOff(error, error);
    }, timeoutMs);
    const stop = options.stop;
    // An already aborted stop cuts off at once (onAbort calls back synchronously) and the work never starts.
    if (stop !== undefined)
      stopped = onAbort(stop, (reason) =>
        cutOff(reason, options.stopError?.(reason) ?? (reason instanceof Error ? reason : new Error(`${options.what} stopped`))),
      );
    if (settled) return;
    let work: Promise<T>;
    try {
      work = fn(controller.signal);
    } catch (error) {
      work = Promise.reject(error);
    }
    Promise.resolve(work).then(
      (value) => {
        if (settle()) resolve(value);
      },
      (error: unknown) => {
        if (settle()) reject(error);
      },
    );
  });
}

function noop(): void {}
