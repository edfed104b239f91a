import { DeadlineExceededError, InvalidConfigError } from '../errors.js';
import type { Guard } from '../guard.js';
import { onAbort, type Clock } from '../internal/time.js';
import { DeadlineQueue, type DeadlineEntry } from './queue.js';

/** The deadline queue of the waits, one per clock: every wait's deadline is one entry behind one timer. */
const waitDeadlines = new WeakMap<Clock, DeadlineQueue>();

function deadlinesOf(clock: Clock): DeadlineQueue {
  let queue = waitDeadlines.get(clock);
  if (queue === undefined) waitDeadlines.set(clock, (queue = new DeadlineQueue(clock)));
  return queue;
}

/**
 * A signal for the waits of one call with a deadline (rate-limit store, permit, adaptive limit, bulkhead
 * queue): it aborts with DEADLINE_EXCEEDED when the deadline comes, or with the caller's own reason. Made only
 * when a call actually waits, so calls that never wait pay nothing. Its deadline is an entry of the same
 * `DeadlineQueue` the attempts' timeouts use (one shared timer, not one per call); the queue's timer keeps
 * the process alive while an entry waits: a caller awaits it.
 */
export class DeadlineSignal implements Disposable {
  private readonly controller = new AbortController();
  private readonly queue: DeadlineQueue | undefined;
  private readonly entry: DeadlineEntry | undefined;
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
    const controller = this.controller;
    this.entry = {
      deadline: at,
      prev: null,
      next: null,
      expire: () => controller.abort(new DeadlineExceededError(operation, at - clock.monotonic())),
    };
    this.queue = deadlinesOf(clock);
    this.queue.add(this.entry);
    if (parent !== undefined) this.parentAbort = onAbort(parent, (reason) => controller.abort(reason));
  }

  /** Aborted at the deadline (reason: a `DeadlineExceededError`) or with the caller's reason. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Leaves the deadline queue and unlinks from the caller's signal. */
  dispose(): void {
    if (this.entry !== undefined) this.queue?.remove(this.entry);
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
