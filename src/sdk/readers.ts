import type { IMetricReader, ViewOptions } from '@opentelemetry/sdk-metrics';
import { ProductionMetricReader, type ProductionReaderOptions } from './production-reader.js';

/** Options of our reader and views. */
export interface ProductionReadersOptions extends ProductionReaderOptions {
  /** Distinct attribute sets per instrument (`monitoring.cardinalityLimit`); default 2000. */
  readonly cardinalityLimit?: number;
}

/** Default cardinality limit, the SDK's own. */
export const DEFAULT_CARDINALITY_LIMIT = 2000;

const SINGLETON = Symbol.for('@llmkg/production.metric-reader');
type Holder = Record<symbol, ProductionMetricReader | undefined>;

/**
 * The process-wide reader, created on first call (later calls return it and ignore `options`). Once it
 * is shut down, the next call makes a fresh one.
 */
export function productionReader(options: ProductionReadersOptions = {}): ProductionMetricReader {
  const holder = globalThis as unknown as Holder;
  let reader = holder[SINGLETON];
  if (reader === undefined || reader.isClosed) {
    reader = new ProductionMetricReader(options);
    holder[SINGLETON] = reader;
  }
  return reader;
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

/**
 * The one line for applications with their own NodeSDK: `new NodeSDK({ ...productionSdkConfig(), traceExporter })`.
 * Pass your own readers and views through `extra` so they are kept (your views then replace ours).
 */
export function productionSdkConfig(
  options: ProductionReadersOptions = {},
  extra: { metricReaders?: IMetricReader[]; views?: ViewOptions[] } = {},
): { metricReaders: IMetricReader[]; views: ViewOptions[] } {
  return {
    metricReaders: [...productionMetricReaders(options), ...(extra.metricReaders ?? [])],
    views: extra.views ?? productionViews(options.cardinalityLimit !== undefined ? { cardinalityLimit: options.cardinalityLimit } : {}),
  };
}
