import { handleWhen, retry, type RetryPolicy } from 'cockatiel';
import { isRetryableError } from '../../errors.js';
import { sleep, type Clock } from '../../internal/time.js';
import type { CallState, RecoveryListener, RetrySkipReason } from '../../pipeline.js';
import { reportInternalError } from '../../telemetry/internal-errors.js';
import { retryDelayMs } from '../backoff.js';
import type { RetryConfig } from '../config.js';
import { defaultRetryAfterMs } from '../retry-after.js';
import type { RetryBudget } from '../retry-budget.js';
import type { CallStage, Operation } from '../stage.js';
import type { OperationStats } from '../stats.js';

/** Thrown inside cockatiel's loop to end it with the original error when a retry is skipped. */
class RetrySkipped extends Error {
  constructor(readonly error: unknown) {
    super('retry skipped');
  }
}

function unwrapSkipped(error: unknown): never {
  throw error instanceof RetrySkipped ? error.error : error;
}

/** What retries share with the operation: its statistics, its retry budget and the deadline margin. */
export interface RetryShared {
  readonly stats: OperationStats;
  readonly budget: RetryBudget | undefined;
  readonly marginMs: number;
  readonly listener: RecoveryListener;
}

/**
 * Retries of an idempotent operation (cockatiel's loop, with an abortable backoff sleep). The first attempt
 * runs directly through `next`; only a retryable failure enters cockatiel's loop for the remaining attempts,
 * so the common successful call pays for no retry machinery. A retry starts only when the deadline leaves
 * time for it and the retry budget has a token.
 */
export class RetryStage implements CallStage {
  private readonly policy: RetryPolicy;
  private readonly isRetryable: (error: unknown) => boolean;

  constructor(
    private readonly config: RetryConfig,
    private readonly shared: RetryShared,
    private readonly clock: Clock,
    private readonly next: CallStage,
  ) {
    const retryOn = config.retryOn;
    this.isRetryable = (e) => isRetryableError(e) && (retryOn === undefined || retryOn(e));
    // The first attempt runs outside cockatiel (see execute), so its loop makes the remaining ones.
    const handled = (e: unknown): boolean => !(e instanceof RetrySkipped) && this.isRetryable(e);
    this.policy = retry(handleWhen(handled), { maxAttempts: config.maxRetries - 1 });
  }

  execute<T>(operation: Operation<T>, call: CallState): Promise<T> {
    return this.next.execute(operation, call).catch((error: unknown) => this.retryAfter(error, operation, call));
  }

  private retryAfter<T>(error: unknown, operation: Operation<T>, call: CallState): Promise<T> {
    if (!this.isRetryable(error) || call.callerSignal?.aborted || call.abandonSignal?.aborted) throw error;
    // The error of the last failed attempt: the retry loop's own state, not the call's.
    let lastError = error;
    return this.policy
      .execute(async ({ attempt }) => {
        await this.backoff(call, attempt + 1, lastError);
        try {
          return await this.next.execute(operation, call);
        } catch (failure) {
          lastError = failure;
          throw failure;
        }
      }, call.callerSignal)
      .catch(unwrapSkipped);
  }

  private async backoff(call: CallState, retryNumber: number, lastError: unknown): Promise<void> {
    const config = this.config;
    let delay = retryDelayMs(config, retryNumber);
    const asked = this.retryAfterMs(lastError);
    const raised = asked !== undefined && asked > delay;
    if (raised) delay = asked;
    const skip = raised && asked > config.maxDelayMs ? 'retry_after' : this.skipReason(call, delay, raised);
    const { listener, stats, budget } = this.shared;
    if (skip !== undefined) {
      listener.onRetrySkipped?.(call, retryNumber, skip, lastError, budget?.dependency);
      throw new RetrySkipped(lastError);
    }
    stats.retries++;
    listener.onRetry(call, retryNumber, delay, lastError);
    // cockatiel 3.2.1's retry sleep ignores abort: ours ends at once on the caller's abort or a shutdown.
    await sleep(delay, call.callerSignal, call.abandonSignal);
  }

  /**
   * Why the retry after `delay` must not start: the call's deadline would leave less than the margin plus the
   * operation's recent median duration (`retry_after` when the error's Retry-After made the wait that long),
   * or the retry budget is empty. The budget is asked last, so a retry skipped for time costs no token.
   */
  private skipReason(call: CallState, delay: number, raised: boolean): RetrySkipReason | undefined {
    const { stats, budget, marginMs } = this.shared;
    if (call.deadline !== undefined) {
      const left = call.deadline - this.clock.monotonic() - delay - marginMs;
      if (left <= 0 || left < stats.recentMedianMs()) return raised ? 'retry_after' : 'deadline';
    }
    if (budget !== undefined && !budget.tryWithdraw()) return 'budget';
    return undefined;
  }

  /** The retry-after hook's answer; a hook that throws or returns nonsense counts as no answer. */
  private retryAfterMs(error: unknown): number | undefined {
    try {
      const ms = (this.config.retryAfterMs ?? defaultRetryAfterMs)(error);
      return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
    } catch (failure) {
      reportInternalError('error_recovery', failure);
      return undefined;
    }
  }
}
