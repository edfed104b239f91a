import { propagation, trace, type Context } from '@opentelemetry/api';
import { CORRELATION_BAGGAGE_KEY } from './names.js';

/**
 * Resolves the correlation ID of an operation: the caller's explicit one, else W3C baggage
 * `correlation_id` of the parent context, else the trace ID of `spanContextTraceId`.
 */
export function resolveCorrelationId(explicit: string | undefined, parent: Context, traceId: string): string {
  if (explicit !== undefined && explicit !== '') return explicit;
  return propagation.getBaggage(parent)?.getEntry(CORRELATION_BAGGAGE_KEY)?.value || traceId;
}

/**
 * Whether nested operations need `correlationId` put into baggage: not when it is the trace ID (they share
 * the trace) or already the baggage's, which is every call without an explicit ID.
 */
export function needsCorrelationBaggage(correlationId: string, explicit: string | undefined, parent: Context, traceId: string): boolean {
  if (explicit === undefined || explicit === '' || correlationId === traceId) return false;
  return propagation.getBaggage(parent)?.getEntry(CORRELATION_BAGGAGE_KEY)?.value !== correlationId;
}

/** Returns `ctx` with the correlation ID set in its baggage, keeping the other entries. */
export function withCorrelationBaggage(ctx: Context, correlationId: string): Context {
  const baggage = propagation.getBaggage(ctx) ?? propagation.createBaggage();
  return propagation.setBaggage(ctx, baggage.setEntry(CORRELATION_BAGGAGE_KEY, { value: correlationId }));
}

/** The correlation ID active in `ctx`: baggage first, else the active span's trace ID. */
export function currentCorrelationId(ctx: Context): string | undefined {
  const fromBaggage = propagation.getBaggage(ctx)?.getEntry(CORRELATION_BAGGAGE_KEY)?.value;
  if (fromBaggage) return fromBaggage;
  const spanContext = trace.getSpanContext(ctx);
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}
