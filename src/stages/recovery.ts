import { context, trace } from '@opentelemetry/api';
import { withDeadline } from '../deadlines/context.js';
import { carryCriticality } from '../overload/criticality.js';
import type { Criticality } from '../errors.js';
import type { OperationPolicy } from '../pipeline.js';
import { needsCorrelationBaggage, withCorrelationBaggage } from '../telemetry/correlation.js';
import type { CallStage, Operation, ProtectedCall } from './stage.js';

/**
 * Step 6: error recovery (`src/recovery/`: retry, hedging, breaker, bulkhead, throttle, slow-call, timeout),
 * with the operation running in its span's context. That context carries the correlation ID, the deadline and
 * the call's class in its baggage, so the services called next see them. The last stage: it counts the calls
 * it runs (the operation's calls in flight).
 */
export class RecoveryStage implements CallStage<ProtectedCall> {
  /** Calls of the operation running now. */
  active = 0;

  constructor(
    private readonly recovery: OperationPolicy,
    /** The operation's default class, carried on when the call names none. */
    private readonly defaultCriticality: Criticality | undefined,
  ) {}

  execute<T>(operation: Operation<T>, call: ProtectedCall): Promise<T> {
    call.admitted = true;
    this.active++;
    const { parent, span, correlationId, deadline, options } = call;
    let ctx = trace.setSpan(parent, span);
    if (needsCorrelationBaggage(correlationId, parent, span.spanContext().traceId)) ctx = withCorrelationBaggage(ctx, correlationId);
    if (deadline !== undefined) ctx = withDeadline(ctx, deadline);
    ctx = carryCriticality(ctx, parent, options?.criticality ?? this.defaultCriticality);
    return context.with(ctx, this.run, undefined, operation, call, options?.idempotent ?? true) as Promise<T>;
  }

  /** The policy's execute, bound once per operation, so `context.with` needs no closure per call. */
  private readonly run = <T>(operation: Operation<T>, call: ProtectedCall, idempotent: boolean): Promise<T> =>
    this.recovery.execute(operation, call, idempotent);
}
