import type { Attributes } from '@opentelemetry/api';
import { attributesKey, bucketIndex } from './exemplars.js';
import { DURATION_BUCKETS_SECONDS, METRIC, SCOPE_NAME, SCOPE_VERSION } from './names.js';

/**
 * Pre-bound metric cells: the running aggregate of one series (one attribute set) of one instrument, found
 * once when the caller builds its attribute set and then updated with no hashing. The OTel SDK hashes the
 * attribute set on every `record` (sorting its keys and stringifying them, about 1.4 us per histogram record
 * and counter add on this machine); a cell is a few stores. The cells are exported by the SDK-side adapter
 * (`src/sdk/cells-producer.ts`, a `MetricProducer` on the readers) exactly as the SDK's default aggregation
 * would export them: cumulative explicit-bucket histograms and monotonic sums.
 *
 * Only components' own instruments with attribute sets built once use cells, and only while a
 * MeterProvider whose every reader carries our producer is registered ({@link CellInstrument.active});
 * otherwise they record through the OTel API as before, so an application's own readers never miss a point.
 */

/** Milliseconds since the epoch when a cell was created (the series' start time). */
const now = (): number => performance.timeOrigin + performance.now();

/** The aggregate of one histogram series: count, sum, min, max and the count per explicit bucket. */
export class HistogramCell {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  /** Count per bucket, the last is the +Inf bucket (bucket i holds values <= boundaries[i], above boundaries[i-1]). */
  counts: Float64Array;
  /** When the series started, ms since the epoch. */
  readonly startMs = now();

  constructor(
    /** The series' attributes (never changed after the cell is made). */
    readonly attributes: Attributes,
    private boundaries: readonly number[],
  ) {
    this.counts = new Float64Array(boundaries.length + 1);
  }

  /** The hot path: adds one value. NaN and negative values are dropped, as the SDK's histogram drops negatives. */
  record(value: number): void {
    if (!(value >= 0)) return;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.counts[bucketIndex(this.boundaries, value)]!++;
  }

  /** Starts over with other bucket boundaries (a view's); only done before the series has data to keep. */
  rebucket(boundaries: readonly number[]): void {
    this.boundaries = boundaries;
    this.counts = new Float64Array(boundaries.length + 1);
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }
}

/** The running total of one monotonic counter series. */
export class CounterCell {
  value = 0;
  /** Adds made (a series with none is not exported, as the SDK exports only recorded series). */
  adds = 0;
  readonly startMs = now();

  constructor(readonly attributes: Attributes) {}

  /** The hot path: adds `increment` (negative values are dropped, as the SDK's counter drops them). */
  add(increment: number): void {
    if (!(increment >= 0)) return;
    this.value += increment;
    this.adds++;
  }
}

/** Name, unit, description and scope of an instrument with cells, as it would be created on a Meter. */
export interface CellInstrumentDescriptor {
  readonly name: string;
  readonly unit: string;
  readonly description: string;
  /** The meter (instrumentation scope) name the instrument belongs to. */
  readonly scope: string;
  readonly scopeVersion?: string;
  readonly kind: 'histogram' | 'counter';
  /** Explicit bucket boundaries (histograms): the instrument's `advice`. */
  readonly boundaries?: readonly number[];
}

/** Default cap on series per instrument: the SDK's default cardinality limit. */
export const DEFAULT_CELL_LIMIT = 2000;
const OVERFLOW: Attributes = Object.freeze({ 'otel.metric.overflow': true });

/**
 * The cells of one instrument, one per distinct attribute set (by content), capped at the cardinality
 * limit: beyond it, attribute sets share the `otel.metric.overflow=true` cell, as the SDK does.
 */
export class CellInstrument<C extends HistogramCell | CounterCell = HistogramCell | CounterCell> {
  private readonly cells = new Map<string, C>();
  private overflow: C | undefined;
  private limit = DEFAULT_CELL_LIMIT;
  /** Bucket boundaries cells are made with: the advice, or a view's. */
  boundaries: readonly number[];

  constructor(
    readonly descriptor: CellInstrumentDescriptor,
    private readonly registry: MetricCells,
  ) {
    this.boundaries = descriptor.boundaries ?? [];
  }

  /**
   * Set when the views ask for what cells cannot do (another aggregation, an attributes processor, two
   * streams): the instrument then records through the API even while cells are exported.
   */
  viaApi = false;

  /** True while the registered MeterProvider exports cells: record into them, not through the API. */
  get active(): boolean {
    return this.registry.active && !this.viaApi;
  }

  /** The cell of `attributes` (made on first use): call once when the attribute set is built, not per record. */
  cell(attributes: Attributes): C {
    const key = attributesKey(attributes);
    const known = this.cells.get(key);
    if (known !== undefined) return known;
    // One slot is kept for the overflow series itself, as the SDK counts it.
    if (this.cells.size >= this.limit - 1) return (this.overflow ??= this.make(OVERFLOW));
    const cell = this.make(attributes);
    this.cells.set(key, cell);
    return cell;
  }

  /** Every cell, the overflow one last. */
  *all(): IterableIterator<C> {
    yield* this.cells.values();
    if (this.overflow !== undefined) yield this.overflow;
  }

  /** Applies a view's cardinality limit and bucket boundaries (cells with no data yet take the new buckets). */
  configure(options: { cardinalityLimit?: number | undefined; boundaries?: readonly number[] | undefined }): void {
    if (options.cardinalityLimit !== undefined && options.cardinalityLimit > 0) this.limit = options.cardinalityLimit;
    const boundaries = options.boundaries;
    if (boundaries === undefined || this.descriptor.kind !== 'histogram' || sameNumbers(boundaries, this.boundaries)) return;
    this.boundaries = [...boundaries];
    for (const cell of this.all()) if (cell instanceof HistogramCell && cell.count === 0) cell.rebucket(this.boundaries);
  }

  private make(attributes: Attributes): C {
    return (this.descriptor.kind === 'histogram' ? new HistogramCell(attributes, this.boundaries) : new CounterCell(attributes)) as C;
  }
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Every instrument with cells in the process. `active` is set by the SDK side when a MeterProvider whose
 * readers all carry our producer is bound, and cleared when it shuts down.
 */
export class MetricCells {
  private readonly instruments = new Map<string, CellInstrument>();
  /** True while cells are exported; the components check it on each record. */
  active = false;

  /** The instrument `descriptor.name` of `descriptor.scope`, made on first call. */
  histogram(descriptor: Omit<CellInstrumentDescriptor, 'kind'>): CellInstrument<HistogramCell> {
    return this.instrument({ ...descriptor, kind: 'histogram' }) as CellInstrument<HistogramCell>;
  }

  /** The counter `descriptor.name` of `descriptor.scope`, made on first call. */
  counter(descriptor: Omit<CellInstrumentDescriptor, 'kind' | 'boundaries'>): CellInstrument<CounterCell> {
    return this.instrument({ ...descriptor, kind: 'counter' }) as CellInstrument<CounterCell>;
  }

  /** Every instrument, in the order made. */
  list(): IterableIterator<CellInstrument> {
    return this.instruments.values();
  }

  private instrument(descriptor: CellInstrumentDescriptor): CellInstrument {
    const key = `${descriptor.scope}\u0000${descriptor.name}`;
    let instrument = this.instruments.get(key);
    if (instrument === undefined) {
      instrument = new CellInstrument(descriptor, this);
      this.instruments.set(key, instrument);
    }
    return instrument;
  }
}

// On globalThis so the ESM and CJS builds, and the main and `/sdk` entries, share one registry.
const CELLS_KEY = Symbol.for('@llmkg/production.metric-cells');

/** The process-wide registry of metric cells. */
export function metricCells(): MetricCells {
  const holder = globalThis as unknown as Record<symbol, MetricCells | undefined>;
  return (holder[CELLS_KEY] ??= new MetricCells());
}

/** The duration histogram's description, shared by the pipeline and `startTimer`. */
export const OPERATION_DURATION_DESCRIPTION = 'Duration of protected operations, from admission to outcome';

/** The cells of `production.operation.duration` (process-wide; the pipeline and `startTimer` share them). */
export function operationDurationCells(): CellInstrument<HistogramCell> {
  return metricCells().histogram({
    name: METRIC.operationDuration,
    unit: 's',
    description: OPERATION_DURATION_DESCRIPTION,
    scope: SCOPE_NAME,
    scopeVersion: SCOPE_VERSION,
    boundaries: DURATION_BUCKETS_SECONDS,
  });
}
