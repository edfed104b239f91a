import { DeadlineExceededError } from '../errors.js';
import type { Clock } from '../internal/time.js';
import { ATTR } from '../telemetry/names.js';
import { SystemStage, type Operation, type ProtectedCall } from './stage.js';

/**
 * Admission by deadline: a call whose deadline leaves less than `deadlines.marginMs` is refused with
 * DEADLINE_EXCEEDED before any other step; the time left goes on the span in whole ms.
 */
export class DeadlineStage extends SystemStage {
  constructor(
    private readonly marginMs: () => number,
    private readonly clock: Clock,
  ) {
    super();
  }

  execute<T>(operation: Operation<T>, call: ProtectedCall): Promise<T> {
    if (call.deadline !== undefined) {
      // deadline - now is not exact in floating point: the span gets whole ms.
      const remainingMs = call.deadline - this.clock.monotonic();
      if (call.span.isRecording()) call.span.setAttribute(ATTR.deadlineRemainingMs, Math.round(remainingMs));
      if (remainingMs < this.marginMs()) throw new DeadlineExceededError(call.operationName, remainingMs);
    }
    return this.next.execute(operation, call);
  }
}
