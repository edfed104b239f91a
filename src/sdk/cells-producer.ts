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
 * A view as the cells honour it: the fields that matter once the view has selected the instrument.
 * `aggregation: 'other'` (an exponential or last-value one, a sum on a histogram) and an attributes
 * processor cannot be done by cells.
 */
export interface CellView {
  readonly name?: string | undefined;
  readonly description?: string | undefined;
  readonly cardinalityLimit?: number | undefined;
  readonly aggregation: 'default' | 'drop' | 'sum' | 'histogram' | 'other';
  readonly boundaries?: readonly number[] | undefined;
  readonly recordMinMax?: boolean | undefined;
  readonly processesAttributes: boolean;
}

/** The views that select `instrument`, in order; undefined when they cannot be known (then cells are not used). */
export type CellViewSource = (instrument: CellInstrument) => readonly CellView[] | undefined;

/** `*` and `?` wildcards, as the SDK's instrument-name selector matches them (case-insensitively). */
function matches(pattern: string | undefined, value: string): boolean {
  if (pattern === undefined || pattern === '*') return true;
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i').test(value);
}

const instrumentType = (instrument: CellInstrument): InstrumentType =>
  instrument.descriptor.kind === 'histogram' ? InstrumentType.HISTOGRAM : InstrumentType.COUNTER;

function fromViewOptions(view: ViewOptions): CellView {
  const aggregation = view.aggregation;
  const kind: CellView['aggregation'] =
    aggregation === undefined || aggregation.type === AggregationType.DEFAULT
      ? 'default'
      : aggregation.type === AggregationType.DROP
        ? 'drop'
        : aggregation.type === AggregationType.SUM
          ? 'sum'
          : aggregation.type === AggregationType.EXPLICIT_BUCKET_HISTOGRAM
            ? 'histogram'
            : 'other';
  const options = aggregation?.type === AggregationType.EXPLICIT_BUCKET_HISTOGRAM ? aggregation.options : undefined;
  return {
    // The SDK refuses a `name` on a view that could select more than one instrument.
    name: view.name,
    description: view.description,
    cardinalityLimit: view.aggregationCardinalityLimit,
    aggregation: kind,
    boundaries: options?.boundaries,
    recordMinMax: options?.recordMinMax,
    processesAttributes: (view.attributesProcessors?.length ?? 0) > 0 || view.meterSchemaUrl !== undefined,
  };
}

/** A source over `ViewOptions` (the ones a MeterProvider was given), selecting as the SDK does. */
export function viewOptionsSource(views: readonly ViewOptions[]): CellViewSource {
  return (instrument) => {
    const d = instrument.descriptor;
    return views
      .filter(
        (view) =>
          matches(view.instrumentName, d.name) &&
          (view.instrumentType === undefined || view.instrumentType === instrumentType(instrument)) &&
          (view.instrumentUnit === undefined || view.instrumentUnit === d.unit) &&
          (view.meterName === undefined || view.meterName === d.scope) &&
          (view.meterVersion === undefined || view.meterVersion === d.scopeVersion),
      )
      .map(fromViewOptions);
  };
}

// The SDK 2.x objects a bound reader reaches: its collector, the provider's shared state, the view registry.
interface SdkView {
  readonly name?: string;
  readonly description?: string;
  readonly aggregationCardinalityLimit?: number;
  readonly aggregation?: {
    readonly constructor: { readonly name: string };
    readonly _boundaries?: number[];
    readonly _recordMinMax?: boolean;
  };
  readonly attributesProcessor?: { readonly constructor: { readonly name: string } };
}
interface SharedState {
  readonly metricCollectors?: unknown;
  readonly viewRegistry?: { findViews?(instrument: object, meter: object): unknown };
}
interface ProviderInternals {
  _sdkMetricProducer?: { _sharedState?: SharedState };
}

const sharedState = (reader: IMetricReader): SharedState | undefined =>
  (reader as unknown as ProviderInternals)._sdkMetricProducer?._sharedState;

function fromSdkView(view: SdkView): CellView {
  const aggregation = view.aggregation?.constructor.name;
  const kind: CellView['aggregation'] =
    aggregation === 'DefaultAggregation'
      ? 'default'
      : aggregation === 'DropAggregation'
        ? 'drop'
        : aggregation === 'SumAggregation'
          ? 'sum'
          : aggregation === 'ExplicitBucketHistogramAggregation' && Array.isArray(view.aggregation?._boundaries)
            ? 'histogram'
            : 'other';
  return {
    name: view.name,
    description: view.description,
    cardinalityLimit: view.aggregationCardinalityLimit,
    aggregation: kind,
    boundaries: kind === 'histogram' ? view.aggregation?._boundaries : undefined,
    recordMinMax: view.aggregation?._recordMinMax,
    processesAttributes: view.attributesProcessor?.constructor.name !== 'NoopAttributesProcessor',
  };
}

/**
 * The views of the MeterProvider that bound `reader`, selected by the SDK's own registry (SDK 2.x
 * internals; undefined when they are not there, so the cells are not used rather than a view ignored).
 */
export function providerViewSource(reader: IMetricReader): CellViewSource | undefined {
  const registry = sharedState(reader)?.viewRegistry;
  if (typeof registry?.findViews !== 'function') return undefined;
  return (instrument) => {
    const d = instrument.descriptor;
    const found = registry.findViews!(
      { name: d.name, description: d.description, unit: d.unit, type: instrumentType(instrument), valueType: ValueType.DOUBLE, advice: {} },
      { name: d.scope, version: d.scopeVersion, schemaUrl: undefined },
    );
    return Array.isArray(found) ? (found as SdkView[]).map(fromSdkView) : undefined;
  };
}

/** How a stream of an instrument is exported. */
interface Stream {
  name: string;
  description: string;
  recordMinMax: boolean;
  dropped: boolean;
}

/**
 * The stream the views (none or one) make of `instrument`, or undefined when cells cannot honour them:
 * honoured are the selection, `name`, `description`, the cardinality limit, and the aggregations default,
 * explicit-bucket histogram (`boundaries`, `recordMinMax`; histograms), sum (counters) and drop.
 */
function streamOf(instrument: CellInstrument, views: readonly CellView[] | undefined): Stream | undefined {
  if (views === undefined || views.length > 1) return undefined;
  const d = instrument.descriptor;
  const stream: Stream = { name: d.name, description: d.description, recordMinMax: true, dropped: false };
  const view = views[0];
  if (view === undefined) return stream;
  if (view.processesAttributes) return undefined;
  if (view.name !== undefined) stream.name = view.name;
  if (view.description !== undefined) stream.description = view.description;
  switch (view.aggregation) {
    case 'default':
      break;
    case 'drop':
      stream.dropped = true;
      break;
    case 'histogram':
      if (d.kind !== 'histogram') return undefined;
      stream.recordMinMax = view.recordMinMax ?? true;
      break;
    case 'sum':
      if (d.kind !== 'counter') return undefined;
      break;
    default:
      return undefined;
  }
  instrument.configure({
    cardinalityLimit: view.cardinalityLimit,
    boundaries: view.aggregation === 'histogram' ? view.boundaries : undefined,
  });
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

  /**
   * Applies the views of `source` (a provider's, or `viewOptionsSource(views)`) to every instrument, the
   * ones made later too (at their first record check). An instrument whose views cells cannot honour
   * records through the API from then on.
   */
  configure(source: CellViewSource): void {
    this.source = source;
    this.streams = new Map();
    for (const instrument of this.cells.list()) this.streamFor(instrument);
  }

  private source: CellViewSource = () => [];

  private streamFor(instrument: CellInstrument): Stream | undefined {
    if (instrument.viaApi) return undefined;
    let stream = this.streams.get(instrument);
    if (stream !== undefined) return stream;
    stream = streamOf(instrument, this.source(instrument));
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

/**
 * True when every reader of the MeterProvider that bound `reader` carries our producer (SDK 2.x internals:
 * when they are not there, false, so the cells are not used rather than a reader missing points).
 */
export function providerReadersCarryCells(reader: IMetricReader): boolean {
  const collectors = sharedState(reader)?.metricCollectors;
  if (!Array.isArray(collectors) || collectors.length === 0) return false;
  return (collectors as readonly { _metricReader?: IMetricReader }[]).every(
    (collector) => collector._metricReader !== undefined && carriers.has(collector._metricReader),
  );
}
