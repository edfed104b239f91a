import { TimeoutError } from '../errors.js';

/**
 * Time source of the shutdown manager. Tests inject one (or use fake timers, which the default follows
 * because it resolves `setTimeout` at call time).
 */
export interface ShutdownClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` once after `ms`; returns a handle for {@link ShutdownClock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a pending `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/** The real clock. Its timers stay ref'd: they only exist while a shutdown runs, which must not be cut short. */
export const systemClock: ShutdownClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** An AbortSignal that fires after `ms` or when `parent` fires, whichever comes first; `dispose()` frees both. */
export class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: unknown;
  private readonly onParentAbort: (() => void) | undefined;

  constructor(
    private readonly clock: ShutdownClock,
    ms: number,
    what: string,
    private readonly parent?: AbortSignal,
  ) {
    if (parent?.aborted) {
      this.controller.abort(parent.reason);
      return;
    }
    this.timer = clock.setTimeout(() => this.controller.abort(new TimeoutError(what, ms)), ms);
    if (parent !== undefined) {
      this.onParentAbort = () => this.controller.abort(parent.reason);
      parent.addEventListener('abort', this.onParentAbort, { once: true });
    }
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
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    if (this.onParentAbort !== undefined) this.parent?.removeEventListener('abort', this.onParentAbort);
  }
}

/** How a piece of work ended when raced against a signal. */
export type Settled<T> = { status: 'ok'; value: T } | { status: 'error'; error: unknown } | { status: 'aborted' };

/**
 * Waits for `work` or for `signal`, whichever comes first. Work that loses the race keeps running but its
 * rejection is caught here, so a hung or late-failing handler never becomes an unhandled rejection.
 */
export function settleWithin<T>(work: PromiseLike<T> | T, signal: AbortSignal): Promise<Settled<T>> {
  const settled = Promise.resolve(work).then(
    (value): Settled<T> => ({ status: 'ok', value }),
    (error: unknown): Settled<T> => ({ status: 'error', error }),
  );
  if (signal.aborted) return Promise.resolve({ status: 'aborted' });
  return new Promise((resolve) => {
    const onAbort = () => resolve({ status: 'aborted' });
    signal.addEventListener('abort', onAbort, { once: true });
    void settled.then((result) => {
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    });
  });
}

/** Resolves after `ms`, or early when `signal` aborts. Never rejects. */
export function delay(clock: ShutdownClock, ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = clock.setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
