import type { Breaker } from '../breaker.js';
import type { AttemptStage, Operation } from '../stage.js';
import type { AttemptContext } from '../timeout/attempt.js';

/**
 * The circuit breaker (cockatiel's, `../breaker.ts`; shared across replicas when configured). While it is
 * closed an attempt goes straight on with the breaker as its ticket (`attempt.closedBreaker`), and reports
 * its outcome to it itself when it settles, with no extra promise in between; otherwise the breaker runs it
 * (half-open trial) or refuses it (CIRCUIT_OPEN).
 */
export class BreakerStage implements AttemptStage {
  constructor(
    readonly breaker: Breaker,
    private readonly next: AttemptStage,
  ) {}

  execute<T>(operation: Operation<T>, attempt: AttemptContext<T>): Promise<T> {
    const breaker = this.breaker;
    if (breaker.isClosed()) {
      attempt.closedBreaker = breaker;
      return this.next.execute(operation, attempt);
    }
    return breaker.execute(() => this.next.execute(operation, attempt));
  }
}
