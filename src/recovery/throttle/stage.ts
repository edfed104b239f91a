import type { DependencyThrottle } from '../../pipeline.js';
import type { AttemptStage, Operation } from '../stage.js';
import type { AttemptContext } from '../timeout/attempt.js';

/**
 * Client-side throttling of the operation's dependency (`src/overload/throttle.ts` decides), beside the
 * breaker and around the send itself: a refusal is THROTTLED before any attempt starts, and every attempt
 * sent tells the throttle how it ended.
 */
export class ThrottleStage implements AttemptStage {
  constructor(
    private readonly throttle: DependencyThrottle,
    private readonly next: AttemptStage,
  ) {}

  execute<T>(operation: Operation<T>, attempt: AttemptContext<T>): Promise<T> {
    const throttle = this.throttle;
    try {
      throttle.check();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.next.execute(operation, attempt).then(
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
}
