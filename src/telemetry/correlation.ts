import { propagation, trace, type Context, type Counter } from '@opentelemetry/api';
import { getMeter } from './api.js';
import { CORRELATION_BAGGAGE_KEY, METRIC } from './names.js';

/** Longest correlation ID taken from outside (baggage, a header, `options.correlationId`). */
export const MAX_CORRELATION_ID_LENGTH = 128;

/**
 * The safe set of a correlation ID taken from outside: 1 to 128 of the ASCII letters, digits and
 * `- _ . : ~ + = @ /`. No spaces, controls, quotes, separators or non-ASCII, so the ID can go into a
 * response header, a log line or baggage as it is, without escaping.
 */
export const CORRELATION_ID_PATTERN = /^[A-Za-z0-9_.:~+=@/-]{1,128}$/;

/** True when `value` is a correlation ID the library accepts from outside ({@link CORRELATION_ID_PATTERN}). */
export function isValidCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_CORRELATION_ID_LENGTH && CORRELATION_ID_PATTERN.test(value);
}

/** Where a refused correlation ID came from. */
export type CorrelationIdSource = 'explicit' | 'baggage' | 'header';

/** Called when a correlation ID from outside is refused (it is then ignored). */
export type CorrelationIdRejected = (source: CorrelationIdSource) => void;

function baggageValue(ctx: Context): string | undefined {
  return propagation.getBaggage(ctx)?.getEntry(CORRELATION_BAGGAGE_KEY)?.value;
}

/**
 * Resolves the correlation ID of an operation: the caller's explicit one, else W3C baggage `correlation_id`
 * of the parent context, else `traceId`. An explicit or baggage value outside {@link CORRELATION_ID_PATTERN}
 * is ignored (reported to `onRejected`); an empty or missing one is simply absent.
 */
export function resolveCorrelationId(explicit: unknown, parent: Context, traceId: string, onRejected?: CorrelationIdRejected): string {
  if (explicit !== undefined && explicit !== '') {
    if (isValidCorrelationId(explicit)) return explicit;
    onRejected?.('explicit');
  }
  const fromBaggage = baggageValue(parent);
  if (fromBaggage !== undefined && fromBaggage !== '') {
    if (isValidCorrelationId(fromBaggage)) return fromBaggage;
    onRejected?.('baggage');
  }
  return traceId;
}

/**
 * Whether nested operations need `correlationId` put into baggage: not when it is the trace ID (they share
 * the trace) or already the baggage's, which is every call without an explicit ID.
 */
export function needsCorrelationBaggage(correlationId: string, parent: Context, traceId: string): boolean {
  return correlationId !== traceId && baggageValue(parent) !== correlationId;
}

/** Returns `ctx` with the correlation ID set in its baggage, keeping the other entries. */
export function withCorrelationBaggage(ctx: Context, correlationId: string): Context {
  const baggage = propagation.getBaggage(ctx) ?? propagation.createBaggage();
  return propagation.setBaggage(ctx, baggage.setEntry(CORRELATION_BAGGAGE_KEY, { value: correlationId }));
}

/** The correlation ID active in `ctx`: a valid baggage entry first, else the active span's trace ID. */
export function currentCorrelationId(ctx: Context): string | undefined {
  const fromBaggage = baggageValue(ctx);
  if (fromBaggage !== undefined && isValidCorrelationId(fromBaggage)) return fromBaggage;
  const spanContext = trace.getSpanContext(ctx);
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/**
 * The `x-correlation-id` request header when it is a valid correlation ID, else undefined (a repeated
 * header, an empty or unsafe value). For adapters that pass it on as `options.correlationId`.
 */
export function correlationIdFromHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  onRejected?: CorrelationIdRejected,
): string | undefined {
  const value = headers['x-correlation-id'];
  if (value === undefined || value === '') return undefined;
  if (isValidCorrelationId(value)) return value;
  onRejected?.('header');
  return undefined;
}

/**
 * Counts refused correlation IDs in `production.correlation_id.rejected` (attribute
 * `production.correlation_id.source`: `explicit`, `baggage` or `header`). Create it once the application's
 * MeterProvider is registered.
 */
export class CorrelationIdRejections {
  private readonly counter: Counter;
  private readonly attrs: Record<CorrelationIdSource, { 'production.correlation_id.source': CorrelationIdSource }> = {
    explicit: { 'production.correlation_id.source': 'explicit' },
    baggage: { 'production.correlation_id.source': 'baggage' },
    header: { 'production.correlation_id.source': 'header' },
  };
  /** Refusals counted by this instance. */
  count = 0;

  constructor() {
    this.counter = getMeter().createCounter(METRIC.correlationIdRejected, {
      description:
        'Correlation IDs from outside that were ignored (outside the safe character set or longer than 128 characters), by source',
      unit: '{id}',
    });
  }

  /** The callback to pass as `onRejected`. */
  readonly rejected: CorrelationIdRejected = (source) => {
    this.count++;
    this.counter.add(1, this.attrs[source]);
  };
}
