/**
 * The stage contract of a protected call (`ProductionSystem.executeProtectedOperation`): every step is a
 * stage with one `execute(operation, call)` seam that does its part and hands on to `next`. An operation's
 * stages are composed once ({@link chain}) and cached with the operation; a call passes the operation and its
 * state as arguments, so the composition costs no closure and no promise per call. What a stage holds for the
 * rest of the call (a tracked request, a permit, a slot) it puts on the call; the monitoring step, around all
 * of them, releases it when the call ends.
 */
import type { Context } from '@opentelemetry/api';
import type { ProtectedOperationOptions } from '../call-options.js';
import type { Guard } from '../guard.js';
import type { AdmissionPermit, CallState } from '../pipeline.js';
import type { CallStage, Operation } from '../recovery/stage.js';

export type { CallStage, AttemptStage, Operation } from '../recovery/stage.js';

/** The system's per-call state: the call's (`CallState`), plus what the stages hold until it ends. */
export interface ProtectedCall extends CallState {
  /** The context the call was made in. */
  readonly parent: Context;
  /** The call's options, as given. */
  readonly options: ProtectedOperationOptions | undefined;
  /** The request counted by the shutdown manager (step 2) until the call ends. */
  request: Guard | undefined;
  /** The slot under the operation's adaptive limit (step 5), if it is under overload control. */
  slot: AdmissionPermit | undefined;
  /** The operation permit (step 5). */
  permit: Guard | undefined;
  /** True once every admission step let the call through and recovery runs it. */
  admitted: boolean;
}

/** A stage of the system's call path: its `next` is set once, when the operation's stages are composed. */
export abstract class SystemStage implements CallStage<ProtectedCall> {
  /** The stage after this one. */
  next!: CallStage<ProtectedCall>;

  /** Runs this stage's step for `call`, then the stages after it. */
  abstract execute<T>(operation: Operation<T>, call: ProtectedCall): Promise<T>;
}

/**
 * Links `stages` in the order given (a stage left out is `undefined` or `false`) in front of `last`; returns
 * the first. Done once per operation.
 */
export function chain(stages: readonly (SystemStage | undefined | false)[], last: CallStage<ProtectedCall>): CallStage<ProtectedCall> {
  let next = last;
  for (let i = stages.length - 1; i >= 0; i--) {
    const stage = stages[i];
    if (!stage) continue;
    stage.next = next;
    next = stage;
  }
  return next;
}
