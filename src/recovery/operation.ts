import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { handleWhen, retry, type RetryPolicy } from 'cockatiel';
import { getTracer } from '../telemetry/api.js';
import { ATTR } from '../telemetry/names.js';
import { DeadlineExceededError, isBreakerFailure, isRetryableError } from '../errors.js';
import { reportInternalError } from '../telemetry/internal-errors.js';
import { retryDelayMs } from './backoff.js';
import { CircuitBreaker, type Breaker, type BreakerSnapshot } from './breaker.js';
import { Bulkhead } from './bulkhead.js';
import type { OperationRecoveryConfig, RetryConfig } from './config.js';
import type { CallState, DependencyThrottle, OperationContext, RecoveryListener, RetrySkipReason } from '../pipeline.js';
import { AttemptContext } from './context.js';
import { DeadlineQueue } from './deadlines.js';
import { waitSignal } from '../deadlines/wait.js';
import { sleep, type Clock } from '../internal/time.js';
import { type OperationStats } from './stats.js';
import { defaultRetryAfterMs } from './retry-after.js';
import type { RetryBudget } from './retry-budget.js';
import { Hedging } from './hedging/index.js';
import { SlowCallMonitor } from './slow-call/index.js';

/** A protected operation: receives its context, returns a promise. */
export type Operation<T> = (ctx: OperationContext) => Promise<T>;

/**
 * Counts as the operation failing (the breaker's default predicate), read from `ERROR_CODES`: the production
 * layer's own rejections (rate limited, circuit open, shutting down, aborted...) never do; a TIMEOUT does.
 */
export function isOperationFailure(error: unknown): boolean {
  return isBreakerFailure(error);
}

/** What an operation's recovery shares with others: its retry budget and the deadline margin. */
export interface RecoveryShared {
  /** The retry budget of the operation's dependency, or its own; undefined when it has none. */
  readonly budget?: RetryBudget | undefined;
  /** Time kept back from a call's deadline (`deadlines.marginMs`). */
  readonly deadlineMarginMs?: number;
  /** Client-side throttling of the operation's named dependency, if it has one. */
  readonly throttle?: DependencyThrottle | undefined;
  /** Wraps the operation's local breaker when its state is shared across replicas (`circuitBreaker.shared`). */
  readonly shareBreaker?: ((local: CircuitBreaker) => Breaker) | undefined;
}

/** Thrown inside cockatiel's loop to end it with the original error when a retry is skipped. */
class RetrySkipped extends Error {
  constructor(readonly error: unknown) {
    super('retry skipped');
  }
}

function unwrapSkipped(error: unknown): never {
  throw error instanceof RetrySkipped ? error.error : error;
}

/**
 * The recovery policies of one operation name, built once and reused by every call: retry (cockatiel, with
 * an abortable backoff sleep), circuit breaker, bulkhead, and a per-attempt timeout on one shared timer.
 */
export class OperationRecovery {
  readonly stats: OperationStats;
  readonly breaker: Breaker | undefined;
  readonly bulkhead: Bulkhead | undefined;
  /** Hedging of the first attempt, for an idempotent operation that configures it. */
  readonly hedging: Hedging | undefined;
  /** The slow-call rate of the attempts sent, which opens the breaker (`circuitBreaker.slowCall`). */
  readonly slowCalls: SlowCallMonitor | undefined;
  private readonly retryPolicy: RetryPolicy | undefined;
  private readonly retryConfig: RetryConfig | undefined;
  private readonly isRetryable: (error: unknown) => boolean = () => false;
  private deadlines: DeadlineQueue | undefined;
  private readonly budget: RetryBudget | undefined;
  private readonly marginMs: number;
  private readonly throttle: DependencyThrottle | undefined;

  constructor(
    readonly name: string,
    readonly config: OperationRecoveryConfig,
    private readonly listener: RecoveryListener,
    private readonly clock: Clock,
    stats: OperationStats,
    breakerState?: BreakerSnapshot,
    shared: RecoveryShared = {},
  ) {
    this.stats = stats;
    this.budget = shared.budget;
    this.throttle = shared.throttle;
    this.marginMs = shared.deadlineMarginMs ?? 0;
    if (config.retry !== false && config.retry.maxRetries > 0) {
      const retryOn = config.retry.retryOn;
      this.retryConfig = config.retry;
      this.isRetryable = (e) => isRetryableError(e) && (retryOn === undefined || retryOn(e));
      // The first attempt runs outside cockatiel (see execute), so its loop makes the remaining ones.
      const handled = (e: unknown): boolean => !(e instanceof RetrySkipped) && this.isRetryable(e);
      this.retryPolicy = retry(handleWhen(handled), { maxAttempts: config.retry.maxRetries - 1 });
    }
    if (config.circuitBreaker !== false) {
      const failureOn = config.circuitBreaker.failureOn;
      const isFailure = (e: unknown): boolean => isOperationFailure(e) && (failureOn === undefined || failureOn(e));
      const local = new CircuitBreaker(name, config.circuitBreaker, isFailure, breakerState);
      this.breaker = shared.shareBreaker === undefined ? local : shared.shareBreaker(local);
      const slow = config.circuitBreaker.slowCall;
      if (slow) this.slowCalls = new SlowCallMonitor(slow, this.breaker, config.circuitBreaker.recoveryTimeoutMs, clock);
    }
    if (config.bulkhead !== false) this.bulkhead = new Bulkhead(name, config.bulkhead);
    if (config.timeoutMs > 0) this.deadlines = new DeadlineQueue(clock);
    if (config.hedging !== false && config.idempotent) this.hedging = new Hedging(config.hedging, clock, shared);
  }

  /**
   * Runs `operation` for `call` through retry, hedging, breaker, bulkhead and timeout. The first attempt runs
   * directly (hedged when configured: each hedge is one more attempt through the stages below); only a
   * retryable failure enters cockatiel's retry loop for the remaining attempts, so the common successful call
   * pays for no retry machinery.
   */
  execute<T>(operation: Operation<T>, call: CallState, idempotent: boolean): Promise<T> {
    this.budget?.deposit();
    const first =
      this.hedging && idempotent ? this.hedging.execute((op) => this.attempt(op, call), operation, call) : this.attempt(operation, call);
    if (this.retryPolicy === undefined || !idempotent || !this.config.idempotent) return first;
    return first.catch((error: unknown) => this.retryAfter(error, operation, call));
  }

  private retryAfter<T>(error: unknown, operation: Operation<T>, call: CallState): Promise<T> {
    if (!this.isRetryable(error) || call.callerSignal?.aborted || call.abandonSignal?.aborted) throw error;
    call.lastError = error;
    return this.retryPolicy!.execute(async ({ attempt }) => {
      await this.backoff(call, attempt + 1);
      try {
        return await this.attempt(operation, call);
      } catch (failure) {
        call.lastError = failure;
        throw failure;
      }
    }, call.callerSignal).catch(unwrapSkipped);
  }

  /** Stops the timeout timer. */
  stop(): void {
    this.deadlines?.stop();
    this.breaker?.stop();
    this.slowCalls?.stop();
  }

  private async backoff(call: CallState, retryNumber: number): Promise<void> {
    const config = this.retryConfig!;
    let delay = retryDelayMs(config, retryNumber);
    const asked = this.retryAfterMs(call.lastError);
    const raised = asked !== undefined && asked > delay;
    if (raised) delay = asked;
    const skip = raised && asked > config.maxDelayMs ? 'retry_after' : this.skipReason(call, delay, raised);
    if (skip !== undefined) {
      this.listener.onRetrySkipped?.(call, retryNumber, skip, call.lastError, this.budget?.dependency);
      throw new RetrySkipped(call.lastError);
    }
    this.stats.retries++;
    this.listener.onRetry(call, retryNumber, delay, call.lastError);
    // cockatiel 3.2.1's retry sleep ignores abort: ours ends at once on the caller's abort or a shutdown.
    await sleep(delay, call.callerSignal, call.abandonSignal);
  }

  /**
   * Why the retry after `delay` must not start: the call's deadline would leave less than the margin plus the
   * operation's recent median duration (`retry_after` when the error's Retry-After made the wait that long),
   * or the retry budget is empty. The budget is asked last, so a retry skipped for time costs no token.
   */
  private skipReason(call: CallState, delay: number, raised: boolean): RetrySkipReason | undefined {
    if (call.deadline !== undefined) {
      const left = call.deadline - this.clock.monotonic() - delay - this.marginMs;
      if (left <= 0 || left < this.stats.recentMedianMs()) return raised ? 'retry_after' : 'deadline';
    }
    if (this.budget !== undefined && !this.budget.tryWithdraw()) return 'budget';
    return undefined;
  }

  /** The retry-after hook's answer; a hook that throws or returns nonsense counts as no answer. */
  private retryAfterMs(error: unknown): number | undefined {
    try {
      const ms = (this.retryConfig!.retryAfterMs ?? defaultRetryAfterMs)(error);
      return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
    } catch (failure) {
      reportInternalError('error_recovery', failure);
      return undefined;
    }
  }

  private attempt<T>(operation: Operation<T>, call: CallState): Promise<T> {
    const breaker = this.breaker;
    if (breaker === undefined) return this.isolated(operation, call, undefined);
    // Closed: the attempt reports its outcome to the breaker itself, with no extra promise in between.
    if (breaker.isClosed()) return this.isolated(operation, call, breaker);
    return breaker.execute(() => this.isolated(operation, call, undefined));
  }

  private isolated<T>(operation: Operation<T>, call: CallState, closedBreaker: Breaker | undefined): Promise<T> {
    const bulkhead = this.bulkhead;
    if (bulkhead !== undefined) {
      // Only a queued call waits: the deadline's signal (a timer) is made for it alone; a running attempt is cut by its own timeout.
      const signal = bulkhead.executionSlots > 0 ? call.callerSignal : waitSignal(call, this.clock);
      return bulkhead.execute(() => this.timed(operation, call, closedBreaker), signal);
    }
    return this.timed(operation, call, closedBreaker);
  }

  private timed<T>(operation: Operation<T>, call: CallState, closedBreaker: Breaker | undefined): Promise<T> {
    const throttle = this.throttle;
    if (throttle === undefined) return this.send(operation, call, closedBreaker);
    // Beside the breaker, around the send itself: a refusal here is THROTTLED before any attempt starts.
    try {
      throttle.check();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.send(operation, call, closedBreaker).then(
      (value) => {
        throttle.record(undefined);
        return value;
      },
      (error: unknown) => {
        throttle.record(error);
        throw error;
      },
    );
  }

  /** One attempt sent to the dependency, timed by the slow-call monitor when there is one. */
  private send<T>(operation: Operation<T>, call: CallState, closedBreaker: Breaker | undefined): Promise<T> {
    const sent = this.sendAttempt(operation, call, closedBreaker);
    return this.slowCalls === undefined ? sent : this.slowCalls.track(sent);
  }

  private sendAttempt<T>(operation: Operation<T>, call: CallState, closedBreaker: Breaker | undefined): Promise<T> {
    if (this.config.attemptSpans) operation = inAttemptSpan(operation);
    let timeoutMs = this.config.timeoutMs;
    let cutByDeadline = false;
    if (call.deadline !== undefined) {
      // Every attempt ends `marginMs` before the call's deadline; none starts with less than that left.
      const left = call.deadline - this.marginMs - this.clock.monotonic();
      if (left <= 0) return Promise.reject(new DeadlineExceededError(call.operationName, left + this.marginMs));
      if (timeoutMs === 0 || left < timeoutMs) {
        timeoutMs = left;
        cutByDeadline = true;
      }
    }
    const deadlines = timeoutMs > 0 ? (this.deadlines ??= new DeadlineQueue(this.clock)) : undefined;
    const ctx = new AttemptContext<T>(call, ++call.attempts, timeoutMs, cutByDeadline, deadlines, this.stats, closedBreaker);
    // Without a deadline, a signal to follow or a breaker to tell, nothing needs to watch the attempt.
    if (deadlines === undefined && closedBreaker === undefined && call.callerSignal === undefined && call.abandonSignal === undefined) {
      try {
        return Promise.resolve(operation(ctx));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return ctx.run(operation, this.clock.monotonic());
  }
}

/**
 * Wraps `operation` so each attempt runs in its own child span (`<operation> attempt`, opt-in through
 * `attemptSpans`): one span per operation keeps traces small and the fast path fast by default.
 */
function inAttemptSpan<T>(operation: Operation<T>): Operation<T> {
  return (ctx) => {
    const parent = trace.setSpan(context.active(), ctx.span);
    return getTracer().startActiveSpan(
      `${ctx.operationName} attempt`,
      { attributes: { [ATTR.attempt]: ctx.attempt } },
      parent,
      async (span) => {
        try {
          return await operation(ctx);
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR });
          if (error instanceof Error) span.recordException(error);
          throw error;
        } finally {
          span.end();
        }
      },
    );
  };
}

/** Reads a breaker snapshot back from JSON (a checkpoint); undefined when it is not one. */
export function asBreakerSnapshot(value: unknown): BreakerSnapshot | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  return 'policy' in v && typeof v.probation === 'number' ? { policy: v.policy, probation: v.probation } : undefined;
}
