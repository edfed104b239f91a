import { waitSignal } from '../deadlines/wait.js';
import { abortError } from '../errors.js';
import { raceAbort, type Clock } from '../internal/time.js';
import { callRateLimit } from '../limits/call-rate-limit.js';
import type { RateLimitGate } from '../pipeline.js';
import { SystemStage, type Operation, type ProtectedCall } from './stage.js';

/**
 * Step 3: the global, operation and user rate limits (RATE_LIMITED). In memory the decision is synchronous;
 * a shared store's is a promise, waited for no longer than the call's deadline.
 */
export class RateLimitStage extends SystemStage {
  constructor(
    private readonly limits: RateLimitGate,
    private readonly clock: Clock,
  ) {
    super();
  }

  execute<T>(operation: Operation<T>, call: ProtectedCall): Promise<T> {
    const limited = this.limits.checkRateLimit(call.operationName, call.userId);
    if (limited === undefined) {
      // The decision for the RateLimit headers is read on first use, from the limits in memory.
      call.rateLimits = this.limits;
      return this.next.execute(operation, call);
    }
    const waited = call.deadline === undefined ? limited : raceAbort(limited, waitSignal(call, this.clock)!, abortError);
    return waited.then(() => {
      // After a shared store's reply the decision is read at once.
      call.rateLimits = this.limits;
      callRateLimit(call);
      return this.next.execute(operation, call);
    });
  }
}
