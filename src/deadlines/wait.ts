import { DeadlineExceededError, InvalidConfigError } from '../errors.js';
import type { Guard } from '../guard.js';
import { awaitedTimers, onAbort, type Clock } from '../internal/time.js';

/**
 * A signal for the waits of one call with a deadline (rate-limit store, permit, bulkhead queue): it aborts
 * with DEADLINE_EXCEEDED when the deadline comes, or with the caller's own reason. Made only when a call
 * actually waits, so calls that never wait pay no timer. The timer keeps the process alive: a caller awaits it.
 */
export class DeadlineSignal implements Disposable {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly parentAbort: Guard | undefined;

  constructor(operation: string, at: number, clock: Clock, parent: AbortSignal | undefined) {
    const left = at - clock.monotonic();
    if (parent?.aborted) {
      this.controller.abort(parent.reason);
      return;
    }
    if (left <= 0) {
      this.controller.abort(new DeadlineExceededError(operation, left));
      return;
    }
    this.timer = awaitedTimers.setTimeout(() => this.controller.abort(new DeadlineExceededError(operation, at - clock.monotonic())), left);
    if (parent !== undefined) this.parentAbort = onAbort(parent, (reason) => this.controller.abort(reason));
  }

  /** Aborted at the deadline (reason: a `DeadlineExceededError`) or with the caller's reason. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Stops the timer and unlinks from the caller's signal. */
  dispose(): void {
    awaitedTimers.clearTimeout(this.timer);
    this.parentAbort?.release();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** What {@link waitSignal} needs of a call. */
export interface DeadlineWaits {
  readonly operationName: string;
  readonly callerSignal: AbortSignal | undefined;
  readonly deadline: number | undefined;
  deadlineSignal: DeadlineSignal | undefined;
}

/**
 * The signal a wait of `call` should end on: the caller's own when the call has no deadline, else one that
 * also ends at the deadline (made on first use and kept on the call, which disposes it when it ends).
 */
export function waitSignal(call: DeadlineWaits, clock: Clock): AbortSignal | undefined {
  if (call.deadline === undefined) return call.callerSignal;
  call.deadlineSignal ??= new DeadlineSignal(call.operationName, call.deadline, clock, call.callerSignal);
  return call.deadlineSignal.signal;
}

/** Checks `options.deadlineMs`: a finite number of milliseconds, at least 0; INVALID_CONFIG names it otherwise. */
export function validateDeadlineMs(ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new InvalidConfigError('options.deadlineMs', 'must be a finite number of milliseconds, at least 0');
  }
  return ms;
}
