import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { processSingleton } from './singleton.js';
import type { Guard } from '../guard.js';
import { recentTraces, type RecentTraceSource, type TraceSummary } from '../monitoring/recent-traces.js';
import { Ring } from '../monitoring/ring.js';
import { ATTR } from '../telemetry/names.js';

/** Operation spans the process-wide ring keeps by default. */
export const DEFAULT_RECENT_TRACES = 200;

/**
 * A SpanProcessor that keeps the most recent protected-operation spans (those with
 * `production.operation.name`) in a fixed ring for the status page, in the spirit of zPages' span
 * samples. Other spans cost one attribute lookup. It exports nothing and holds no timer.
 */
export class RecentTracesProcessor implements SpanProcessor, RecentTraceSource {
  private readonly ring: Ring<TraceSummary>;
  private registration: Guard | undefined;
  private closed = false;

  constructor(readonly capacity: number = DEFAULT_RECENT_TRACES) {
    this.ring = new Ring(capacity);
    this.registration = recentTraces.setSource(this);
  }

  /** True once shut down. */
  get isClosed(): boolean {
    return this.closed;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    const attributes = span.attributes;
    const operation = attributes[ATTR.operationName];
    if (typeof operation !== 'string' || this.closed) return;
    const outcome = attributes[ATTR.outcome];
    const correlationId = attributes[ATTR.correlationId];
    const errorType = attributes[ATTR.errorType];
    const context = span.spanContext();
    this.ring.push({
      traceId: context.traceId,
      spanId: context.spanId,
      operation,
      outcome: typeof outcome === 'string' ? outcome : 'unknown',
      durationMs: span.duration[0] * 1e3 + span.duration[1] / 1e6,
      endedAt: span.endTime[0] * 1e3 + span.endTime[1] / 1e6,
      correlationId: typeof correlationId === 'string' ? correlationId : undefined,
      errorType: typeof errorType === 'string' ? errorType : undefined,
    });
  }

  /** Newest first, at most `limit`. */
  recent(limit: number): TraceSummary[] {
    return this.ring.newest(limit);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.closed = true;
    this.registration?.release();
    this.registration = undefined;
    this.ring.clear();
    return Promise.resolve();
  }
}

/**
 * The process-wide {@link RecentTracesProcessor}, created on first call (later calls return it and
 * ignore `capacity`); after its provider shut it down, the next call makes a fresh one.
 */
export function recentTracesProcessor(capacity?: number): RecentTracesProcessor {
  return processSingleton('@llmkg/production.recent-traces-processor', () => new RecentTracesProcessor(capacity));
}

/** Our span processors, for `new NodeSDK({ spanProcessors: [...productionSpanProcessors(), yours] })`. */
export function productionSpanProcessors(): SpanProcessor[] {
  return [recentTracesProcessor()];
}
