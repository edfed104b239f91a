import type { ShutdownGate } from '../pipeline.js';
import { SystemStage, type Operation, type ProtectedCall } from './stage.js';

/**
 * Steps 1 and 2, in one call: the shutdown manager refuses (and counts the refusal) with SHUTTING_DOWN, or
 * counts the request in flight until the call ends, so draining waits for it.
 */
export class ShutdownStage extends SystemStage {
  constructor(private readonly shutdown: ShutdownGate) {
    super();
  }

  execute<T>(operation: Operation<T>, call: ProtectedCall): Promise<T> {
    call.request = this.shutdown.trackActiveRequest();
    return this.next.execute(operation, call);
  }
}
