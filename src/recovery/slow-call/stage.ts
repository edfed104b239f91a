import type { Clock } from '../../internal/time.js';
import type { AttemptStage, Operation } from '../stage.js';
import type { AttemptContext } from '../timeout/attempt.js';
import type { SlowCallConfig } from './config.js';
import { SlowCallMonitor, type IsolatableBreaker } from './monitor.js';

/**
 * The slow-call breaker as a stage: each attempt sent (after the bulkhead and throttle, so a queued call is
 * not counted as slow) is timed by the operation's {@link SlowCallMonitor}, which opens the breaker above.
 */
export class SlowCallStage implements AttemptStage {
  /** The slow-call rate of the attempts sent. */
  readonly monitor: SlowCallMonitor;

  constructor(
    config: SlowCallConfig,
    breaker: IsolatableBreaker,
    openForMs: number,
    clock: Clock,
    private readonly next: AttemptStage,
  ) {
    this.monitor = new SlowCallMonitor(config, breaker, openForMs, clock);
  }

  execute<T>(operation: Operation<T>, attempt: AttemptContext<T>): Promise<T> {
    return this.monitor.track(this.next.execute(operation, attempt));
  }
}
