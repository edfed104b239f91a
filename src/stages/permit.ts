import { waitSignal } from '../deadlines/wait.js';
import type { Guard } from '../guard.js';
import type { Clock } from '../internal/time.js';
import type { ResourceGate } from '../pipeline.js';
import { SystemStage, type Operation, type ProtectedCall } from './stage.js';

/** Span event of a call that waited for its operation permit (`production.permit.wait_ms`). */
export const PERMIT_ACQUIRED_EVENT = 'permit.acquired';

/**
 * Step 5's fixed part: one of `resourceLimits.maxActiveOperations` permits, now or after a wait of at most
 * `permitTimeoutMs` and the call's deadline (BULKHEAD_REJECTED).
 */
export class PermitStage extends SystemStage {
  constructor(
    private readonly limits: ResourceGate,
    private readonly clock: Clock,
  ) {
    super();
  }

  execute<T>(operation: Operation<T>, call: ProtectedCall): Promise<T> {
    const permit = this.limits.tryAcquireOperationPermit();
    if (permit !== undefined) return this.permitted(operation, call, permit);
    const waitStart = this.clock.monotonic();
    return this.limits.acquireOperationPermit(waitSignal(call, this.clock)).then((waited) => {
      call.span.addEvent(PERMIT_ACQUIRED_EVENT, { 'production.permit.wait_ms': this.clock.monotonic() - waitStart });
      return this.permitted(operation, call, waited);
    });
  }

  private permitted<T>(operation: Operation<T>, call: ProtectedCall, permit: Guard): Promise<T> {
    call.permit = permit;
    return this.next.execute(operation, call);
  }
}
