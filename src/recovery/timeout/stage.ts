import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { DeadlineExceededError } from '../../errors.js';
import type { Clock } from '../../internal/time.js';
import { getTracer } from '../../telemetry/api.js';
import { ATTR } from '../../telemetry/names.js';
import type { AttemptStage, Operation } from '../stage.js';
import type { AttemptContext } from './attempt.js';
import { DeadlineQueue } from '../../deadlines/queue.js';

/** What the timeout stage needs of the operation's settings. */
export interface TimeoutSettings {
  /** Per-attempt timeout, 0 for none. */
  readonly timeoutMs: number;
  /** Each attempt in a child span of its own (`attemptSpans`). */
  readonly attemptSpans: boolean;
  /** Time kept back from a call's deadline (`deadlines.marginMs`). */
  readonly marginMs: number;
}

/**
 * The last stage: sends the attempt to the operation, cut at the operation's timeout or the call's deadline
 * (less the margin), whichever is sooner, on one deadline queue per operation (one shared timer, not one per
 * call). No attempt starts with less than the margin left: DEADLINE_EXCEEDED.
 */
export class TimeoutStage implements AttemptStage {
  private deadlines: DeadlineQueue | undefined;

  constructor(
    private readonly settings: TimeoutSettings,
    private readonly clock: Clock,
  ) {
    if (settings.timeoutMs > 0) this.deadlines = new DeadlineQueue(clock);
  }

  /** Attempts waiting for their deadline. */
  get pending(): number {
    return this.deadlines?.pending ?? 0;
  }

  execute<T>(operation: Operation<T>, attempt: AttemptContext<T>): Promise<T> {
    const { settings, clock } = this;
    const call = attempt.call;
    if (settings.attemptSpans) operation = inAttemptSpan(operation);
    let timeoutMs = settings.timeoutMs;
    let cutByDeadline = false;
    if (call.deadline !== undefined) {
      // Every attempt ends `marginMs` before the call's deadline; none starts with less than that left.
      const left = call.deadline - settings.marginMs - clock.monotonic();
      if (left <= 0) return Promise.reject(new DeadlineExceededError(call.operationName, left + settings.marginMs));
      if (timeoutMs === 0 || left < timeoutMs) {
        timeoutMs = left;
        cutByDeadline = true;
      }
    }
    const deadlines = timeoutMs > 0 ? (this.deadlines ??= new DeadlineQueue(clock)) : undefined;
    attempt.send(timeoutMs, cutByDeadline, deadlines);
    // Without a deadline, a signal to follow or a breaker to tell, nothing needs to watch the attempt.
    if (
      deadlines === undefined &&
      attempt.closedBreaker === undefined &&
      call.callerSignal === undefined &&
      call.abandonSignal === undefined
    ) {
      try {
        return Promise.resolve(operation(attempt));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return attempt.run(operation, clock.monotonic());
  }

  /**
   * Stops the timer for good (shutdown). A rebuilt operation's old stage is not stopped: its attempts still in
   * flight keep their timeouts, and its timer, unref'd once nothing is queued, lapses by itself.
   */
  stop(): void {
    this.deadlines?.stop();
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
