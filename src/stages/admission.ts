import { waitSignal } from '../deadlines/wait.js';
import { InvalidConfigError, type Criticality } from '../errors.js';
import type { Clock } from '../internal/time.js';
import { criticalityFromBaggage, isCriticality } from '../overload/criticality.js';
import type { AdmissionPermit, OperationAdmission } from '../pipeline.js';
import { ATTR } from '../telemetry/names.js';
import { SystemStage, type Operation, type ProtectedCall } from './stage.js';

/**
 * Step 5's adaptive part, only for operations under overload control: the call's class is resolved once
 * (option, operation default, baggage, the default), then a slot under the adaptive limit (OVERLOADED when
 * its class is shed), waited for in the limiter's bounded queue no longer than the deadline.
 */
export class AdmissionStage extends SystemStage {
  constructor(
    private readonly admission: OperationAdmission,
    private readonly defaultCriticality: Criticality,
    private readonly clock: Clock,
  ) {
    super();
  }

  execute<T>(operation: Operation<T>, call: ProtectedCall): Promise<T> {
    const asked = call.options?.criticality;
    if (asked !== undefined && !isCriticality(asked)) {
      throw new InvalidConfigError('options.criticality', 'expected critical_plus, critical, sheddable_plus or sheddable');
    }
    const admission = this.admission;
    const criticality = asked ?? admission.criticality ?? criticalityFromBaggage(call.parent) ?? this.defaultCriticality;
    call.criticality = criticality;
    if (call.span.isRecording()) call.span.setAttribute(ATTR.criticality, criticality);
    const slot = admission.tryAcquire(criticality);
    if (slot !== undefined) return this.admitted(operation, call, slot);
    return admission.acquire(criticality, waitSignal(call, this.clock)).then((waited) => this.admitted(operation, call, waited));
  }

  private admitted<T>(operation: Operation<T>, call: ProtectedCall, slot: AdmissionPermit): Promise<T> {
    call.slot = slot;
    return this.next.execute(operation, call);
  }
}
