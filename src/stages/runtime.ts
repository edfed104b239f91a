import { SpanKind, type SpanOptions } from '@opentelemetry/api';
import { ProductionError, TimeoutError } from '../errors.js';
import type { Clock } from '../internal/time.js';
import { rememberRateLimit } from '../limits/call-rate-limit.js';
import { isOverloadRefusal } from '../overload/criticality.js';
import type { AdmissionOutcome, OperationPolicy } from '../pipeline.js';
import type { OperationAttributes, PipelineTelemetry } from '../telemetry/pipeline-telemetry.js';
import type { RecoveryStage } from './recovery.js';
import type { CallStage, Operation, ProtectedCall } from './stage.js';

/**
 * Cached per operation name: its stages, composed once, and its prebuilt attribute sets, so a call does one
 * map lookup and passes its state down the stages as an argument. It also runs step 7 (monitoring) when the
 * stages' promise settles: one continuation per call instead of an async frame, which holds every local of
 * the call for as long as it runs.
 */
export class OperationRuntime {
  /** The options of every call's span, built once. */
  readonly spanOptions: SpanOptions;

  constructor(
    /** The first stage of the operation's calls. */
    readonly head: CallStage<ProtectedCall>,
    /** The last: error recovery, which counts the calls in flight. */
    readonly recovery: RecoveryStage,
    /** The operation's recovery policies, which its statistics are recorded into. */
    readonly policy: OperationPolicy,
    readonly attrs: OperationAttributes,
    private readonly telemetry: PipelineTelemetry,
    private readonly clock: Clock,
  ) {
    this.spanOptions = { kind: SpanKind.INTERNAL, attributes: attrs.base };
  }

  /** Calls of the operation running now. */
  get active(): number {
    return this.recovery.active;
  }

  /**
   * Steps 1 to 6 (the stages), then 7 (monitoring) once they settle; `start` is the call's monotonic start.
   * A stage that throws instead of rejecting is monitored the same way.
   */
  run<T>(operation: Operation<T>, call: ProtectedCall, start: number): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = this.head.execute(operation, call);
    } catch (error) {
      pending = Promise.reject(error);
    }
    return pending.then(
      (value) => this.succeeded(call, start, value),
      (error: unknown) => this.failed(call, start, error),
    );
  }

  private succeeded<T>(call: ProtectedCall, start: number, value: T): T {
    try {
      const seconds = (this.clock.monotonic() - start) / 1000;
      this.policy.stats.record(true, seconds);
      this.telemetry.succeeded(this.attrs, call.span, seconds, call.attempts);
    } finally {
      this.end(call, 'success');
    }
    return value;
  }

  /** 7. Monitoring, on failure: "rejected" when the layer refused the call before any attempt ran. */
  private failed(call: ProtectedCall, start: number, error: unknown): never {
    let outcome: AdmissionOutcome = 'ignore';
    try {
      const seconds = (this.clock.monotonic() - start) / 1000;
      const rejected = call.attempts === 0 && error instanceof ProductionError;
      // A timeout (or an overload refusal from downstream) says the limit is too high; a fast failure says nothing.
      if (error instanceof TimeoutError || (call.attempts > 0 && isOverloadRefusal(error))) outcome = 'dropped';
      if (rejected) this.policy.stats.recordRejection();
      else this.policy.stats.record(false, seconds);
      this.telemetry.failed(this.attrs, call, seconds, error, rejected);
      rememberRateLimit(error, call);
    } finally {
      this.end(call, outcome);
    }
    throw error;
  }

  /** What the stages hold for the call is given back here, once, however it ended. */
  private end(call: ProtectedCall, outcome: AdmissionOutcome): void {
    if (call.admitted) this.recovery.active--;
    call.slot?.release(outcome);
    call.permit?.release();
    call.request?.release();
    call.deadlineSignal?.dispose();
    call.span.end();
  }
}
