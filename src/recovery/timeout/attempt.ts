import type { Span } from '@opentelemetry/api';
import type { CallState, OperationContext } from '../../pipeline.js';
import { callRateLimit } from '../../limits/call-rate-limit.js';
import type { CallRateLimit } from '../../limits/decision.js';
import { DeadlineExceededError, TimeoutError, abortError, type ProductionError } from '../../errors.js';
import type { Guard } from '../../guard.js';
import { onAbort } from '../../internal/time.js';
import type { DeadlineEntry, DeadlineQueue } from '../../deadlines/queue.js';
import type { OperationStats } from '../stats.js';

/** The breaker of an attempt admitted while closed, which the attempt tells its outcome. */
export interface ClosedBreaker {
  recordClosedSuccess(): void;
  recordClosedFailure(error: unknown): Promise<void> | undefined;
}

/**
 * One attempt: the per-attempt state every attempt stage reads and writes (its number, the breaker ticket it
 * was admitted with, its timeout and signal), apart from the call's (`CallState`), so attempts that run at the
 * same time (hedges) share no field. It is also the operation's `ctx` and, when a timeout applies, its entry
 * in the operation's deadline queue. The AbortController is made only when the operation reads `signal`.
 */
export class AttemptContext<T> implements OperationContext, DeadlineEntry {
  /** 1-based number of the attempt among the call's, given when it is sent (0 until then). */
  attempt = 0;
  /** The breaker that admitted the attempt while closed, told its outcome when it settles. */
  closedBreaker: ClosedBreaker | undefined = undefined;
  deadline = 0;
  prev: DeadlineEntry | null = null;
  next: DeadlineEntry | null = null;
  private controller: AbortController | undefined;
  private resolve: ((value: T) => void) | undefined;
  private reject: ((error: unknown) => void) | undefined;
  private timedOut: ProductionError | undefined;
  private callerAbort: Guard | undefined;
  private abandonAbort: Guard | undefined;
  private timeoutMs = 0;
  /** True when the call's deadline, not the operation's timeout, set `timeoutMs`: expiry is DEADLINE_EXCEEDED. */
  private cutByDeadline = false;
  private deadlines: DeadlineQueue | undefined;

  constructor(
    /** The call the attempt belongs to. */
    readonly call: CallState,
    private readonly stats: OperationStats,
  ) {}

  /** Numbers the attempt and sets its timeout (0: none), just before it is sent. */
  send(timeoutMs: number, cutByDeadline: boolean, deadlines: DeadlineQueue | undefined): void {
    this.attempt = ++this.call.attempts;
    this.timeoutMs = timeoutMs;
    this.cutByDeadline = cutByDeadline;
    this.deadlines = deadlines;
  }

  get correlationId(): string {
    return this.call.correlationId;
  }
  get span(): Span {
    return this.call.span;
  }
  get userId(): string | undefined {
    return this.call.userId;
  }
  get operationName(): string {
    return this.call.operationName;
  }
  get rateLimit(): CallRateLimit | undefined {
    return callRateLimit(this.call);
  }

  // A shutdown giving up on the call does not count: it stops waiting for the attempt either way.
  get abortable(): boolean {
    return this.deadlines !== undefined || this.call.callerSignal !== undefined;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = (this.controller = new AbortController());
      if (this.timedOut) controller.abort(this.timedOut);
      const { callerSignal, abandonSignal } = this.call;
      if (callerSignal?.aborted) controller.abort(abortError(callerSignal.reason));
      if (abandonSignal) {
        if (abandonSignal.aborted) controller.abort(abandonSignal.reason);
        else if (this.resolve !== undefined) this.abandonAbort = onAbort(abandonSignal, (reason) => controller.abort(reason));
      }
    }
    return this.controller.signal;
  }

  /**
   * Starts `operation` with this context, racing it against the deadline and the caller's abort, whichever
   * comes first. Listeners and the deadline entry are removed as soon as the attempt is settled. The promise's
   * executor is one function for all attempts (it takes the attempt from `starting`), not a closure per attempt.
   */
  run(operation: (ctx: OperationContext) => Promise<T>, now: number): Promise<T> {
    starting.attempt = this as AttemptContext<unknown>;
    starting.operation = operation;
    starting.now = now;
    return new Promise<T>(startAttempt as (resolve: (value: T) => void, reject: (error: unknown) => void) => void);
  }

  /** The executor's part: arms the deadline and the caller's abort, then starts the operation. */
  start(resolve: (value: T) => void, reject: (error: unknown) => void, operation: Operation<T>, now: number): void {
    this.resolve = resolve;
    this.reject = reject;
    if (this.deadlines !== undefined) {
      this.deadline = now + this.timeoutMs;
      this.deadlines.add(this);
    }
    const callerSignal = this.call.callerSignal;
    if (callerSignal !== undefined) {
      if (callerSignal.aborted) return this.callerAborted();
      this.callerAbort = onAbort(callerSignal, () => this.callerAborted());
    }
    let pending: Promise<T>;
    try {
      pending = operation(this);
    } catch (error) {
      pending = Promise.reject(error);
    }
    // Promise.resolve returns a native promise as it is; it also takes a plain value from untyped callers.
    Promise.resolve(pending).then(
      (value) => this.settle(value, undefined, true),
      (error: unknown) => this.settle(undefined, error, false),
    );
  }

  private settle(value: T | undefined, error: unknown, ok: boolean): void {
    const resolve = this.resolve;
    const reject = this.reject!;
    if (resolve === undefined) return;
    this.finish();
    if (ok) {
      this.closedBreaker?.recordClosedSuccess();
      resolve(value as T);
      return;
    }
    const counted = this.closedBreaker?.recordClosedFailure(error);
    if (counted === undefined) reject(error);
    else void counted.then(() => reject(error));
  }

  /** Deadline passed: abort the signal and reject with TIMEOUT (or DEADLINE_EXCEEDED when the call's deadline cut it). */
  expire(): void {
    if (this.cutByDeadline) this.timedOut = new DeadlineExceededError(this.call.operationName, 0);
    else {
      this.timedOut = new TimeoutError(this.call.operationName, this.timeoutMs);
      this.stats.timeouts++;
    }
    this.controller?.abort(this.timedOut);
    this.settle(undefined, this.timedOut, false);
  }

  /** The caller aborted: reject at once with ABORTED (never reported as a timeout). */
  private callerAborted(): void {
    const error = abortError(this.call.callerSignal?.reason);
    this.controller?.abort(error);
    this.settle(undefined, error, false);
  }

  /** Settled: leave the deadline queue and drop the listeners added to long-lived signals. */
  private finish(): void {
    this.resolve = this.reject = undefined;
    this.deadlines?.remove(this);
    this.callerAbort?.release();
    this.abandonAbort?.release();
  }
}

type Operation<T> = (ctx: OperationContext) => Promise<T>;

/** The attempt `run` is starting: the promise executor runs synchronously inside `new Promise`, so one slot does. */
const starting: { attempt: AttemptContext<unknown> | undefined; operation: Operation<unknown> | undefined; now: number } = {
  attempt: undefined,
  operation: undefined,
  now: 0,
};

function startAttempt(resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
  const { attempt, operation, now } = starting;
  starting.attempt = starting.operation = undefined;
  attempt!.start(resolve, reject, operation!, now);
}
