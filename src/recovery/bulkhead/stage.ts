import { waitSignal } from '../../deadlines/wait.js';
import type { Clock } from '../../internal/time.js';
import type { BulkheadConfig } from '../config.js';
import type { AttemptStage, Operation } from '../stage.js';
import type { AttemptContext } from '../timeout/attempt.js';
import { Bulkhead } from './bulkhead.js';

/** The operation's bulkhead: at most `maxConcurrent` attempts at once, `maxQueue` waiting, BULKHEAD_REJECTED beyond. */
export class BulkheadStage implements AttemptStage {
  readonly bulkhead: Bulkhead;

  constructor(
    operationName: string,
    config: BulkheadConfig,
    private readonly clock: Clock,
    private readonly next: AttemptStage,
  ) {
    this.bulkhead = new Bulkhead(operationName, config);
  }

  execute<T>(operation: Operation<T>, attempt: AttemptContext<T>): Promise<T> {
    const call = attempt.call;
    // Only a queued call waits: the deadline's signal (a timer) is made for it alone; a running attempt is cut by its own timeout.
    const signal = this.bulkhead.executionSlots > 0 ? call.callerSignal : waitSignal(call, this.clock);
    return this.bulkhead.execute(() => this.next.execute(operation, attempt), signal);
  }
}
