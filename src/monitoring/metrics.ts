import type { Attributes, Counter, Gauge, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';
import { InvalidConfigError } from '../errors.js';
import { getMeter } from '../telemetry/api.js';
import {
  OPERATION_DURATION_DESCRIPTION,
  operationDurationCells,
  type CellInstrument,
  type HistogramCell,
} from '../telemetry/metric-cells.js';
import { ATTR, DURATION_BUCKETS_SECONDS, METRIC } from '../telemetry/names.js';

/** Kinds `recordMetric` accepts, the seed's `MetricType`. */
export type MetricType = 'counter' | 'updowncounter' | 'gauge' | 'histogram';

/** Tag values of a facade metric. Never put a user ID here: tags become metric attributes. */
export type MetricTags = Readonly<Record<string, string | number | boolean>>;

/** A running timer from `startTimer`; records `production.operation.duration` once, on stop or dispose. */
export interface TimerHandle extends Disposable {
  /** Records the elapsed seconds with `outcome` (and `errorType` on failure) and returns them; later calls return the first result. */
  stop(outcome?: 'success' | 'error', errorType?: string): number;
  /** Seconds since start. */
  elapsedSeconds(): number;
}

const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_./-]{0,254}$/;
const OVERFLOW: Attributes = Object.freeze({ 'otel.metric.overflow': true });
const EMPTY: Attributes = Object.freeze({});

type AnyInstrument = Counter | UpDownCounter | Gauge | Histogram;

interface Entry {
  readonly type: MetricType;
  readonly instrument: AnyInstrument;
  /** Distinct tag sets seen, capped: the SDK's own cap resets at each collection for cumulative readers. */
  readonly tagSets: Map<string, Attributes>;
}

/** Distinct `error.type` values kept per timed operation. */
const MAX_ERROR_TYPES = 32;

/** Most distinct metric names the facade creates instruments for. */
const MAX_INSTRUMENTS = 1000;

/**
 * The seed's metrics calls over the OTel Meter: each name becomes one instrument, created on first use.
 * Distinct tag sets per instrument are capped at the cardinality limit; the rest are recorded under
 * `otel.metric.overflow=true`, as the SDK does, so memory stays bounded across collections too.
 */
export class MetricsFacade {
  private readonly entries = new Map<string, Entry>();
  private readonly duration: Histogram;
  private readonly timerAttrs = new Map<string, TimerSeries>();
  // The pipeline's cells of the duration histogram, when this facade records on our global meter.
  private readonly cells: CellInstrument<HistogramCell> | undefined;
  /** Records sent to the overflow series. */
  overflowed = 0;
  /** Timers started and not yet stopped. */
  readonly running = { count: 0 };

  constructor(
    private readonly meter: Meter,
    private readonly cardinalityLimit: number,
  ) {
    this.cells = meter === getMeter() ? operationDurationCells() : undefined;
    this.duration = meter.createHistogram(METRIC.operationDuration, {
      description: OPERATION_DURATION_DESCRIPTION,
      unit: 's',
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] },
    });
  }

  /** Instruments created so far. */
  get instruments(): number {
    return this.entries.size;
  }

  /** Records `value` on the instrument `name` of kind `type`. */
  recordMetric(name: string, value: number, type: MetricType, tags?: MetricTags): void {
    if (typeof value !== 'number' || Number.isNaN(value))
      throw new InvalidConfigError(`metrics.${name}.value`, `expected a number, got ${String(value)}`);
    const entry = this.entries.get(name) ?? this.create(name, type);
    if (entry.type !== type) throw new InvalidConfigError(`metrics.${name}.type`, `${name} is a ${entry.type}, not a ${type}`);
    const attributes = tags === undefined ? EMPTY : this.capped(entry, tags);
    switch (type) {
      case 'counter':
        if (value < 0) throw new InvalidConfigError(`metrics.${name}.value`, 'a counter only goes up');
        (entry.instrument as Counter).add(value, attributes);
        return;
      case 'updowncounter':
        (entry.instrument as UpDownCounter).add(value, attributes);
        return;
      case 'gauge':
        (entry.instrument as Gauge).record(value, attributes);
        return;
      case 'histogram':
        (entry.instrument as Histogram).record(value, attributes);
        return;
    }
  }

  /** Starts timing `operation`. */
  startTimer(operation: string): TimerHandle {
    let attrs = this.timerAttrs.get(operation);
    if (attrs === undefined) {
      const success = { [ATTR.operationName]: operation, [ATTR.outcome]: 'success' };
      attrs = { success: { attributes: success, cell: this.cells?.cell(success) }, errors: new Map(), cells: this.cells };
      if (this.timerAttrs.size < this.cardinalityLimit) this.timerAttrs.set(operation, attrs);
    }
    this.running.count++;
    return new Timer(this.duration, attrs, operation, this.running);
  }

  private create(name: string, type: MetricType): Entry {
    if (!NAME_PATTERN.test(name))
      throw new InvalidConfigError(`metrics.${name}.name`, 'instrument names match [A-Za-z][A-Za-z0-9_./-]{0,254}');
    if (this.entries.size >= MAX_INSTRUMENTS)
      throw new InvalidConfigError(`metrics.${name}.name`, `at most ${MAX_INSTRUMENTS} distinct metric names`);
    const description = `Recorded through ProductionMonitor (${type})`;
    const instrument: AnyInstrument =
      type === 'counter'
        ? this.meter.createCounter(name, { description })
        : type === 'updowncounter'
          ? this.meter.createUpDownCounter(name, { description })
          : type === 'gauge'
            ? this.meter.createGauge(name, { description })
            : this.meter.createHistogram(name, { description });
    const entry: Entry = { type, instrument, tagSets: new Map() };
    this.entries.set(name, entry);
    return entry;
  }

  private capped(entry: Entry, tags: MetricTags): Attributes {
    const keys = Object.keys(tags);
    if (keys.length === 0) return EMPTY;
    if (keys.length > 1) keys.sort();
    let key = '';
    for (const k of keys) key += `${k}\u0000${String(tags[k])}\u0001`;
    const known = entry.tagSets.get(key);
    if (known !== undefined) return known;
    // One slot is kept for the overflow series itself, as the SDK counts it.
    if (entry.tagSets.size >= this.cardinalityLimit - 1) {
      this.overflowed++;
      return OVERFLOW;
    }
    const attributes: Attributes = { ...tags };
    entry.tagSets.set(key, attributes);
    return attributes;
  }
}

/** An attribute set of the duration histogram and, when the facade records into cells, its cell. */
interface BoundSeries {
  readonly attributes: Attributes;
  readonly cell: HistogramCell | undefined;
}

/** The series of one timed operation. */
interface TimerSeries {
  readonly success: BoundSeries;
  readonly errors: Map<string, BoundSeries>;
  readonly cells: CellInstrument<HistogramCell> | undefined;
}

class Timer implements TimerHandle {
  private readonly started = performance.now();
  private result: number | undefined;

  constructor(
    private readonly histogram: Histogram,
    private readonly attrs: TimerSeries,
    private readonly operation: string,
    private readonly running: { count: number },
  ) {}

  elapsedSeconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  stop(outcome: 'success' | 'error' = 'success', errorType = 'Error'): number {
    if (this.result !== undefined) return this.result;
    const seconds = this.elapsedSeconds();
    this.result = seconds;
    this.running.count--;
    let series = this.attrs.success;
    if (outcome === 'error') {
      const known = this.attrs.errors.get(errorType);
      if (known !== undefined) series = known;
      else {
        // Distinct error types per operation are capped like the pipeline's, the rest reported as _OTHER.
        const type = this.attrs.errors.size < MAX_ERROR_TYPES ? errorType : '_OTHER';
        series = this.attrs.errors.get(type) ?? this.errorSeries(type);
        if (this.attrs.errors.size < MAX_ERROR_TYPES) this.attrs.errors.set(type, series);
      }
    }
    const cells = this.attrs.cells;
    if (cells?.active === true && series.cell !== undefined) series.cell.record(seconds);
    else this.histogram.record(seconds, series.attributes);
    return seconds;
  }

  [Symbol.dispose](): void {
    this.stop();
  }

  private errorSeries(type: string): BoundSeries {
    const attributes = { [ATTR.operationName]: this.operation, [ATTR.outcome]: 'error', [ATTR.errorType]: type };
    return { attributes, cell: this.attrs.cells?.cell(attributes) };
  }
}
