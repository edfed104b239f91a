import { context, trace, type Span } from '@opentelemetry/api';
import { deadlineOf } from '../deadlines/context.js';
import { validateDeadlineMs } from '../deadlines/wait.js';
import type { Clock } from '../internal/time.js';
import type { CallState, OperationPolicy } from '../pipeline.js';
import type { Operation } from './stage.js';

/** Options of `ErrorRecoveryManager.executeWithRecovery`. */
export interface StandaloneCallOptions {
  signal?: AbortSignal;
  idempotent?: boolean;
  correlationId?: string;
  userId?: string;
  deadlineMs?: number;
}

/**
 * One call through `policy` outside a `ProductionSystem` (the seed's `execute_with_recovery`): its call state
 * made here (the active span, the context's deadline or `deadlineMs`), its statistics recorded into the policy's.
 */
export async function executeStandalone<T>(
  policy: OperationPolicy,
  operationName: string,
  operation: Operation<T>,
  options: StandaloneCallOptions,
  clock: Clock,
): Promise<T> {
  const start = clock.monotonic();
  let deadline = deadlineOf(context.active());
  if (options.deadlineMs !== undefined) deadline = Math.min(deadline ?? Infinity, start + validateDeadlineMs(options.deadlineMs));
  const span: Span = trace.getActiveSpan() ?? trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 });
  const call: CallState = {
    operationName,
    userId: options.userId,
    correlationId: options.correlationId ?? span.spanContext().traceId,
    span,
    callerSignal: options.signal,
    abandonSignal: undefined,
    deadline,
    deadlineSignal: undefined,
    attempts: 0,
  };
  try {
    const value = await policy.execute(operation, call, options.idempotent ?? true);
    policy.stats.record(true, (clock.monotonic() - start) / 1000);
    return value;
  } catch (error) {
    policy.stats.record(false, (clock.monotonic() - start) / 1000);
    throw error;
  } finally {
    call.deadlineSignal?.dispose();
  }
}
