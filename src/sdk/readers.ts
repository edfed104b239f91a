import type { TextMapPropagator } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { IMetricReader, ViewOptions } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { withUndiciInstrumentation } from './instrumentations.js';
import { productionPropagator } from './propagator.js';
import { processSingleton } from './singleton.js';
import { ProductionMetricReader, type ProductionReaderOptions } from './production-reader.js';
import { recentTracesProcessor } from './recent-traces.js';

/** Options of our reader and views. */
export interface ProductionReadersOptions extends ProductionReaderOptions {
  /** Distinct attribute sets per instrument (`monitoring.cardinalityLimit`); default 2000. */
  readonly cardinalityLimit?: number;
  /** Cap on a deadline read from an incoming request (`deadlines.maxIncomingMs`); default 300000 ms. */
  readonly maxIncomingDeadlineMs?: number;
}

/** Default cardinality limit, the SDK's own. */
export const DEFAULT_CARDINALITY_LIMIT = 2000;

/**
 * The process-wide reader, created on first call (later calls return it and ignore `options`). Once it
 * is shut down, the next call makes a fresh one.
 */
export function productionReader(options: ProductionReadersOptions = {}): ProductionMetricReader {
  return processSingleton('@llmkg/production.metric-reader', () => new ProductionMetricReader(options));
}

/** Our readers as a list, for `new NodeSDK({ metricReaders: [...productionMetricReaders(), yourOwn] })`. */
export function productionMetricReaders(options?: ProductionReadersOptions): IMetricReader[] {
  return [productionReader(options)];
}

/**
 * Views for a MeterProvider with our reader: one catch-all view that caps each instrument's attribute sets
 * at `cardinalityLimit` and keeps the default aggregation, which honours each histogram's bucket `advice`
 * (our seconds histograms declare theirs). One view per instrument, so no stream is doubled, and each
 * instrument's storage is shared by all readers instead of copied per reader.
 */
export function productionViews(options: { cardinalityLimit?: number } = {}): ViewOptions[] {
  return [{ instrumentName: '*', aggregationCardinalityLimit: options.cardinalityLimit ?? DEFAULT_CARDINALITY_LIMIT }];
}

/** What {@link productionSdkConfig} returns, to spread into a NodeSDK. */
export interface ProductionSdkConfig {
  metricReaders: IMetricReader[];
  views: ViewOptions[];
  /** W3C trace context and baggage (or your `extra.propagators`) and our deadline propagator. */
  textMapPropagator: TextMapPropagator;
  /** Present when `extra` named the span pipeline: our ring of recent operation spans, then yours. */
  spanProcessors?: SpanProcessor[];
  /**
   * Your `extra.instrumentations`, then the undici instrumentation (Node's `fetch`) unless yours hold one:
   * outgoing `fetch` calls carry the trace, the baggage and the deadline.
   */
  instrumentations: Instrumentation[];
}

/**
 * The one line for applications with their own NodeSDK: `new NodeSDK({ ...productionSdkConfig(), ... })`.
 * Pass your own readers and views through `extra` so they are kept (your views then replace ours).
 * Pass your span processors or trace exporter through `extra` too (`{ traceExporter }` is batched) to get
 * the status page's recent traces: the result then carries `spanProcessors` with our ring first. Without
 * them it carries none, because a NodeSDK given `spanProcessors` ignores its `traceExporter` option and
 * the `OTEL_TRACES_EXPORTER` default, and adding ours must never drop your export. The result's
 * `textMapPropagator` adds the deadline propagator to W3C trace context and baggage; pass other propagators
 * (B3, Jaeger) through `extra.propagators` to keep them. Its `instrumentations` add the undici instrumentation
 * (so `fetch` carries the trace and the deadline) to your `extra.instrumentations`: pass yours there, since a
 * NodeSDK takes one list (one undici instrumentation per process; an undici one of yours is kept instead).
 */
export function productionSdkConfig(
  options: ProductionReadersOptions = {},
  extra: {
    metricReaders?: IMetricReader[];
    views?: ViewOptions[];
    spanProcessors?: SpanProcessor[];
    traceExporter?: SpanExporter;
    propagators?: TextMapPropagator[];
    instrumentations?: Instrumentation[];
  } = {},
): ProductionSdkConfig {
  const config: ProductionSdkConfig = {
    metricReaders: [...productionMetricReaders(options), ...(extra.metricReaders ?? [])],
    views: extra.views ?? productionViews(options.cardinalityLimit !== undefined ? { cardinalityLimit: options.cardinalityLimit } : {}),
    textMapPropagator: productionPropagator({
      ...(options.maxIncomingDeadlineMs !== undefined ? { maxIncomingDeadlineMs: options.maxIncomingDeadlineMs } : {}),
      ...(extra.propagators !== undefined ? { propagators: extra.propagators } : {}),
    }),
    instrumentations: withUndiciInstrumentation(extra.instrumentations ?? []),
  };
  if (extra.spanProcessors !== undefined || extra.traceExporter !== undefined) {
    config.spanProcessors = [
      recentTracesProcessor(),
      ...(extra.spanProcessors ?? []),
      ...(extra.traceExporter !== undefined ? [new BatchSpanProcessor(extra.traceExporter)] : []),
    ];
  }
  return config;
}
