import { AbortedError } from '../../errors.js';
import { awaitedTimers, type Clock, type Timers } from '../../internal/time.js';
import type { CallState, OperationContext } from '../../pipeline.js';
import type { RetryBudget } from '../retry-budget.js';
import type { CallStage, Operation } from '../stage.js';
import type { HedgingConfig } from './config.js';
import { LatencyRing } from './latency.js';

/** Span event of a hedged attempt started (`production.attempt`, `production.hedge.delay_ms`). */
export const HEDGE_EVENT = 'hedge';
/** Span event of a hedge that did not start (`reason`: `budget` or `deadline`). */
export const HEDGE_SKIPPED_EVENT = 'hedge.skipped';

/** Why a hedge did not start: the retry budget was empty, or the call's deadline left no time. */
export type HedgeSkipReason = 'budget' | 'deadline';

/** What hedging shares with the operation: its retry budget and the deadline margin. */
export interface HedgingShared {
  readonly budget?: RetryBudget | undefined;
  readonly deadlineMarginMs?: number;
  /** Timers of the hedge delay; default ref'd ones (a caller awaits the call). */
  readonly timers?: Timers;
}

/**
 * Hedging of one operation (Polly's and Resilience4j's hedging; failsafe-go's budget shared with retries):
 * an attempt still running after the delay (fixed, or the recent `quantile` of attempt durations) gets one
 * more beside it, paid from the retry budget; the first success wins and the others are aborted through their
 * `ctx.signal`. A hedge never starts past the call's deadline, and each attempt is cut at it as usual.
 */
export class Hedging implements CallStage {
  /** Recent attempt durations: successes, and losers at the time they were cancelled (a lower bound). */
  readonly latency: LatencyRing;
  /** Hedged attempts started since start. */
  hedged = 0;
  /** Calls a hedged attempt won. */
  won = 0;
  /** Hedges not started, by reason. */
  readonly skipped: Record<HedgeSkipReason, number> = { budget: 0, deadline: 0 };
  readonly budget: RetryBudget | undefined;
  readonly marginMs: number;
  readonly timers: Timers;

  constructor(
    readonly config: HedgingConfig,
    readonly clock: Clock,
    shared: HedgingShared,
    /** The stages below: each hedge is one more attempt through them (breaker, bulkhead, timeout...). */
    readonly next: CallStage,
  ) {
    this.latency = new LatencyRing(config.samples, config.quantile);
    this.budget = shared.budget;
    this.marginMs = shared.deadlineMarginMs ?? 0;
    this.timers = shared.timers ?? awaitedTimers;
  }

  /** The wait before a hedge starts now: the fixed `delayMs`, else the quantile once `minSamples` are in. */
  delayMs(): number | undefined {
    if (this.config.delayMs !== undefined) return this.config.delayMs;
    return this.latency.size >= this.config.minSamples ? this.latency.quantileMs() : undefined;
  }

  /** Runs `operation` for `call` through the stages below, hedged when a delay is known. */
  execute<T>(operation: Operation<T>, call: CallState): Promise<T> {
    return new HedgedCall(this, operation, call, this.delayMs()).promise;
  }
}

/** Per-attempt state, apart from the call's (CallState): concurrent attempts each have their own. */
interface HedgedAttempt {
  /** 0 for the first attempt, 1.. for hedges. */
  readonly index: number;
  readonly startedAt: number;
  readonly cancel: AbortController;
  settled: boolean;
  error: unknown;
}

/** One hedged call: its attempts, the pending hedge timer, and the first success. */
class HedgedCall<T> {
  readonly promise: Promise<T>;
  private readonly attempts: HedgedAttempt[] = [];
  private timer: NodeJS.Timeout | undefined;
  private done = false;
  private resolve!: (value: T) => void;
  private reject!: (error: unknown) => void;

  constructor(
    private readonly hedging: Hedging,
    private readonly operation: Operation<T>,
    private readonly call: CallState,
    private readonly delay: number | undefined,
  ) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.start();
    this.schedule();
  }

  private start(): void {
    const state: HedgedAttempt = {
      index: this.attempts.length,
      startedAt: this.hedging.clock.monotonic(),
      cancel: new AbortController(),
      settled: false,
      error: undefined,
    };
    this.attempts.push(state);
    this.hedging.next
      .execute((ctx) => this.runOne(ctx, state), this.call)
      .then(
        (value) => this.succeeded(state, value),
        (error: unknown) => this.failed(state, error),
      );
  }

  /** The user's operation with a signal that also aborts when this attempt loses. */
  private async runOne(ctx: OperationContext, state: HedgedAttempt): Promise<T> {
    const cancel = state.cancel.signal;
    let signal: AbortSignal | undefined;
    const hedgedCtx: OperationContext = {
      // Made on first read, as the attempt's own is: an operation that never reads it pays for no signal.
      get signal() {
        return (signal ??= AbortSignal.any([ctx.signal, cancel]));
      },
      attempt: ctx.attempt,
      correlationId: ctx.correlationId,
      span: ctx.span,
      userId: ctx.userId,
      operationName: ctx.operationName,
      get rateLimit() {
        return ctx.rateLimit;
      },
    };
    try {
      return await this.operation(hedgedCtx);
    } catch (error) {
      // A loser ends with the layer's ABORTED whatever it threw: it is no breaker failure and never retried.
      throw cancel.aborted ? cancel.reason : error;
    }
  }

  private schedule(): void {
    if (this.delay === undefined || this.attempts.length > this.hedging.config.maxHedgedAttempts) return;
    this.timer = this.hedging.timers.setTimeout(() => this.hedge(), this.delay);
  }

  private hedge(): void {
    this.timer = undefined;
    if (this.done || this.call.callerSignal?.aborted || this.call.abandonSignal?.aborted) return;
    const hedging = this.hedging;
    const deadline = this.call.deadline;
    if (deadline !== undefined && deadline - hedging.marginMs - hedging.clock.monotonic() <= 0) return this.skip('deadline');
    if (hedging.budget !== undefined && !hedging.budget.tryWithdraw()) return this.skip('budget');
    hedging.hedged++;
    this.call.span.addEvent(HEDGE_EVENT, { 'production.attempt': this.call.attempts + 1, 'production.hedge.delay_ms': this.delay! });
    this.start();
    this.schedule();
  }

  private skip(reason: HedgeSkipReason): void {
    this.hedging.skipped[reason]++;
    this.call.span.addEvent(HEDGE_SKIPPED_EVENT, { reason });
  }

  private succeeded(state: HedgedAttempt, value: T): void {
    state.settled = true;
    // A loser that returns anyway was recorded when it lost.
    if (this.done) return;
    const now = this.hedging.clock.monotonic();
    this.hedging.latency.record(now - state.startedAt);
    this.finish();
    if (state.index > 0) this.hedging.won++;
    for (const other of this.attempts) {
      if (other.settled) continue;
      // The tail must stay in the quantile hedging learns from, but a cancelled first attempt is recorded at the
      // delay it was known to exceed, not at the time the hedge won: that would raise the next delay by one
      // call's duration each time the quantile lands on a loser, and ratchet it up to the slow calls.
      this.hedging.latency.record(other.index === 0 ? this.delay! : now - other.startedAt);
      other.cancel.abort(new AbortedError('hedge lost'));
    }
    this.resolve(value);
  }

  private failed(state: HedgedAttempt, error: unknown): void {
    state.settled = true;
    state.error = error;
    if (this.done || this.attempts.some((other) => !other.settled)) return;
    // Every attempt started failed: the call fails with the last error (the retry stage may go on from it).
    this.finish();
    this.reject(error);
  }

  private finish(): void {
    this.done = true;
    this.hedging.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
