import type { ResourceGate } from '../pipeline.js';
import { SystemStage, type Operation, type ProtectedCall } from './stage.js';

/** Step 4: resource limits against sampled usage (RESOURCE_EXHAUSTED naming the resource). */
export class ResourceStage extends SystemStage {
  constructor(private readonly limits: ResourceGate) {
    super();
  }

  execute<T>(operation: Operation<T>, call: ProtectedCall): Promise<T> {
    this.limits.checkResourceLimits(call.options?.estimatedMemoryBytes);
    return this.next.execute(operation, call);
  }
}
