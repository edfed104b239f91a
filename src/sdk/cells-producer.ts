import { ValueType } from '@opentelemetry/api';
import { millisToHrTime, hrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  InstrumentType,
  type CollectionResult,
  type DataPoint,
  type Histogram,
  type IMetricReader,
  type MetricData,
  type MetricProducer,
  type ResourceMetrics,
  type ScopeMetrics,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { CounterCell, HistogramCell, metricCells, type CellInstrument, type MetricCells } from '../telemetry/metric-cells.js';

/**
 * What a view does to an instrument with cells. Honoured: the selection (`instrumentName` with `*` and `?`,
 * `instrumentType`, `instrumentUnit`, `meterName`, `meterVersion`), `name`, `description`,
 * `aggregationCardinalityLimit`, and the aggregations `DEFAULT`, `EXPLICIT_BUCKET_HISTOGRAM` (its
 * `boundaries` and `recordMinMax`; histograms) and `SUM` (counters) and `DROP`. Anything else (another
 * aggregation, `attributesProcessors`, a `meterSchemaUrl`, two views selecting one instrument) makes that
 * instrument record through the OTel API instead, so the SDK applies the views itself.
 */
interface Stream {
  name: string;
  description: string;
  recordMinMax: boolean;
  dropped: boolean;
}

/** `*` and `?` wildcards, as the SDK's instrument-name selector matches them (case-insensitively). */
function matches(pattern: string | undefined, value: string): boolean {
  if (pattern === undefined || pattern === '*') return true;
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i').test(value);
}

function selects(view: ViewOptions, instrument: CellInstrument): boolean {
  const d = instrument.descriptor;
  const type = d.kind === 'histogram' ? InstrumentType.HISTOGRAM : InstrumentType.COUNTER;
  return (
    matches(view.instrumentName, d.name) &&
    (view.instrumentType === undefined || view.instrumentType === type) &&
    (view.instrumentUnit === undefined || view.instrumentUnit === d.unit) &&
    (view.meterName === undefined || view.meterName === d.scope) &&
    (view.meterVersion === undefined || view.meterVersion === d.scopeVersion)
  );
}

/** The stream one view (or none) makes of `instrument`, or undefined when cells cannot honour it. */
function streamOf(instrument: CellInstrument, view: ViewOptions | undefined): Stream | undefined {
  const d = instrument.descriptor;
  const stream: Stream = { name: d.name, description: d.description, recordMinMax: true, dropped: false };
  if (view === undefined) return stream;
  if (view.attributesProcessors !== undefined && view.attributesProcessors.length > 0) return undefined;
  if (view.meterSchemaUrl !== undefined) return undefined;
  // The SDK applies a view's `name` only when it selects one instrument by its exact name.
  if (view.name !== undefined && view.instrumentName !== undefined && !/[*?]/.test(view.instrumentName)) stream.name = view.name;
  if (view.description !== undefined) stream.description = view.description;
  const aggregation = view.aggregation;
  let boundaries: readonly number[] | undefined;
  switch (aggregation?.type) {
    case undefined:
    case AggregationType.DEFAULT:
      break;
    case AggregationType.DROP:
      stream.dropped = true;
      break;
    case AggregationType.EXPLICIT_BUCKET_HISTOGRAM:
      if (d.kind !== 'histogram') return undefined;
      boundaries = aggregation.options?.boundaries;
      stream.recordMinMax = aggregation.options?.recordMinMax ?? true;
      break;
    case AggregationType.SUM:
      if (d.kind !== 'counter') return undefined;
      break;
    default:
      return undefined;
  }
  instrument.configure({ cardinalityLimit: view.aggregationCardinalityLimit, boundaries });
  return stream;
}

const hr = (ms: number) => millisToHrTime(ms);

function histogramPoint(
  cell: HistogramCell,
  boundaries: readonly number[],
  recordMinMax: boolean,
  end: ReturnType<typeof hrTime>,
): DataPoint<Histogram> {
  return {
    attributes: cell.attributes,
    startTime: hr(cell.startMs),
    endTime: end,
    value: {
      min: recordMinMax ? cell.min : undefined,
      max: recordMinMax ? cell.max : undefined,
      sum: cell.sum,
      buckets: { boundaries: [...boundaries], counts: Array.from(cell.counts) },
      count: cell.count,
    },
  };
}

/**
 * The SDK side of the metric cells: a `MetricProducer` that a MetricReader merges with the SDK's own output
 * (`metricProducers` of the reader's options), exporting every cell as the SDK's default aggregation would:
 * cumulative explicit-bucket histograms and monotonic sums, in the instrument's scope, only series with data.
 * `configure(views)` applies the MeterProvider's views (see {@link Stream} for which parts).
 */
export class MetricCellsProducer implements MetricProducer {
  private streams = new Map<CellInstrument, Stream>();

  constructor(private readonly cells: MetricCells = metricCells()) {}

  /** Applies `views` to every instrument (the ones made later too, at their first collection). */
  configure(views: readonly ViewOptions[]): void {
    this.views = views;
    this.streams = new Map();
    for (const instrument of this.cells.list()) this.streamFor(instrument);
  }

  private views: readonly ViewOptions[] = [];

  private streamFor(instrument: CellInstrument): Stream | undefined {
    if (instrument.viaApi) return undefined;
    let stream = this.streams.get(instrument);
    if (stream !== undefined) return stream;
    const selected = this.views.filter((view) => selects(view, instrument));
    stream = selected.length > 1 ? undefined : streamOf(instrument, selected[0]);
    if (stream === undefined) {
      instrument.viaApi = true;
      return undefined;
    }
    this.streams.set(instrument, stream);
    return stream;
  }

  /** {@link MetricProducer} */
  collect(): Promise<CollectionResult> {
    return Promise.resolve({ resourceMetrics: this.resourceMetrics(), errors: [] });
  }

  /** The cells as `ResourceMetrics` (the reader keeps the SDK's resource when it merges). */
  resourceMetrics(): ResourceMetrics {
    const end = hrTime();
    const scopes = new Map<string, ScopeMetrics>();
    for (const instrument of this.cells.list()) {
      const stream = this.streamFor(instrument);
      if (stream === undefined || stream.dropped) continue;
      const metric = this.metricData(instrument, stream, end);
      if (metric === undefined) continue;
      const d = instrument.descriptor;
      const key = `${d.scope}\u0000${d.scopeVersion ?? ''}`;
      let scope = scopes.get(key);
      if (scope === undefined) {
        scope = { scope: { name: d.scope, ...(d.scopeVersion !== undefined ? { version: d.scopeVersion } : {}) }, metrics: [] };
        scopes.set(key, scope);
      }
      scope.metrics.push(metric);
    }
    return { resource: emptyResource(), scopeMetrics: [...scopes.values()] };
  }

  private metricData(instrument: CellInstrument, stream: Stream, end: ReturnType<typeof hrTime>): MetricData | undefined {
    const descriptor = {
      name: stream.name,
      description: stream.description,
      unit: instrument.descriptor.unit,
      valueType: ValueType.DOUBLE,
    };
    if (instrument.descriptor.kind === 'histogram') {
      const dataPoints: DataPoint<Histogram>[] = [];
      for (const cell of instrument.all()) {
        if (cell instanceof HistogramCell && cell.count > 0)
          dataPoints.push(histogramPoint(cell, instrument.boundaries, stream.recordMinMax, end));
      }
      if (dataPoints.length === 0) return undefined;
      return { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.HISTOGRAM, dataPoints };
    }
    const dataPoints: DataPoint<number>[] = [];
    for (const cell of instrument.all()) {
      if (cell instanceof CounterCell && cell.adds > 0)
        dataPoints.push({ attributes: cell.attributes, startTime: hr(cell.startMs), endTime: end, value: cell.value });
    }
    if (dataPoints.length === 0) return undefined;
    return {
      descriptor,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.SUM,
      isMonotonic: true,
      dataPoints,
    };
  }
}

// On globalThis so the ESM and CJS builds share one producer, as they share the cells.
const PRODUCER_KEY = Symbol.for('@llmkg/production.metric-cells-producer');

/** The process-wide producer of the metric cells. */
export function metricCellsProducer(): MetricCellsProducer {
  const holder = globalThis as unknown as Record<symbol, MetricCellsProducer | undefined>;
  return (holder[PRODUCER_KEY] ??= new MetricCellsProducer());
}

/** Readers made with {@link withMetricCells} (or ours, which always carries the producer). */
const carriers = new WeakSet<IMetricReader>();

/** `options` plus our producer, for a reader of yours: `new PeriodicExportingMetricReader(withMetricCells({ exporter }))`. */
export function withMetricCells<T extends object>(options: T): T & { metricProducers: MetricProducer[] } {
  const producers = (options as { metricProducers?: MetricProducer[] }).metricProducers ?? [];
  return { ...options, metricProducers: [...producers, metricCellsProducer()] };
}

/** Records that `reader` was made with our producer. */
export function markCellsCarrier<R extends IMetricReader>(reader: R): R {
  carriers.add(reader);
  return reader;
}

/** True when every reader carries our producer, so cells may replace the API's instruments. */
export function allCarryCells(readers: readonly IMetricReader[]): boolean {
  return readers.every((reader) => carriers.has(reader));
}

interface ProviderInternals {
  _sdkMetricProducer?: { _sharedState?: { metricCollectors?: readonly { _metricReader?: IMetricReader }[] } };
}

/**
 * True when every reader of the MeterProvider that bound `reader` carries our producer. It reads the SDK's
 * internals (2.x: the reader's collector and the provider's shared state); when they are not there, false,
 * so the cells are not used rather than a reader missing points.
 */
export function providerReadersCarryCells(reader: IMetricReader): boolean {
  const collectors: unknown = (reader as unknown as ProviderInternals)._sdkMetricProducer?._sharedState?.metricCollectors;
  if (!Array.isArray(collectors) || collectors.length === 0) return false;
  return (collectors as readonly { _metricReader?: IMetricReader }[]).every(
    (collector) => collector._metricReader !== undefined && carriers.has(collector._metricReader),
  );
}
