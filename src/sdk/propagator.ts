import type { TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { DeadlinePropagator } from '../deadlines/propagator.js';

/** Options of {@link productionPropagator}. */
export interface ProductionPropagatorOptions {
  /** Cap on a deadline read from an incoming request (`deadlines.maxIncomingMs`); default 300000 ms. */
  readonly maxIncomingDeadlineMs?: number;
  /** The propagators to keep besides ours; default W3C trace context and baggage. */
  readonly propagators?: readonly TextMapPropagator[];
}

/**
 * W3C trace context and baggage (or `propagators`), then the deadline propagator: outgoing requests carry
 * the time left as `production-deadline-ms`; incoming `production-deadline-ms`, `grpc-timeout` and
 * `x-envoy-expected-rq-timeout-ms` become the deadline of the server's protected operations.
 */
export function productionPropagator(options: ProductionPropagatorOptions = {}): TextMapPropagator {
  const deadline = new DeadlinePropagator(
    options.maxIncomingDeadlineMs !== undefined ? { maxIncomingMs: options.maxIncomingDeadlineMs } : {},
  );
  const others = options.propagators ?? [new W3CTraceContextPropagator(), new W3CBaggagePropagator()];
  return new CompositePropagator({ propagators: [...others, deadline] });
}
