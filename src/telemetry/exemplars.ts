import { TraceFlags, type Attributes, type AttributeValue, type SpanContext } from '@opentelemetry/api';
import { DURATION_BUCKETS_SECONDS, METRIC } from './names.js';
import { systemClock, type Clock } from '../internal/time.js';

/** One exemplar: a sampled call's trace and span, the value it recorded, and when (ms since the epoch). */
export interface Exemplar {
  /** Trace ID of the call's span (32 hex digits). */
  readonly traceId: string;
  /** Span ID of the call's span (16 hex digits). */
  readonly spanId: string;
  /** The value the call recorded (seconds, for durations). */
  readonly value: number;
  /** When the call was recorded, ms since the epoch. */
  readonly timeMs: number;
}

/**
 * The exemplars of one histogram series: one preallocated slot per bucket of the store's boundaries
 * (the last is the +Inf bucket). A newer sampled call in a bucket overwrites that bucket's slot, so a
 * series holds at most one exemplar per bucket whatever the traffic, and recording allocates nothing.
 */
export class SeriesExemplars {
  /** Trace ID per slot; '' while the slot is empty. */
  readonly traceIds: string[];
  /** Span ID per slot. */
  readonly spanIds: string[];
  /** Recorded value per slot. */
  readonly values: Float64Array;
  /** Wall-clock time of the call per slot, ms since the epoch. */
  readonly timesMs: Float64Array;

  constructor(readonly slots: number) {
    this.traceIds = new Array<string>(slots).fill('');
    this.spanIds = new Array<string>(slots).fill('');
    this.values = new Float64Array(slots);
    this.timesMs = new Float64Array(slots);
  }

  /** The filled slots, oldest first. */
  list(): Exemplar[] {
    const out: Exemplar[] = [];
    for (let i = 0; i < this.slots; i++) {
      const traceId = this.traceIds[i]!;
      if (traceId !== '') out.push({ traceId, spanId: this.spanIds[i]!, value: this.values[i]!, timeMs: this.timesMs[i]! });
    }
    return out.sort((a, b) => a.timeMs - b.timeMs);
  }
}

/** Index of the bucket `value` falls in: the first boundary >= value, else the +Inf bucket (Prometheus' `le`). */
export function bucketIndex(boundaries: readonly number[], value: number): number {
  let lo = 0;
  let hi = boundaries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (boundaries[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const stringOf = (value: AttributeValue | undefined): string => (typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));

/** Content key of an attribute set: equal sets (in any key order) have equal keys. */
export function attributesKey(attributes: Attributes): string {
  const keys = Object.keys(attributes).sort();
  let key = '';
  for (const k of keys) key += `${k}\u0001${stringOf(attributes[k])}\u0002`;
  return key;
}

/**
 * Exemplars of one histogram instrument, per series. The pipeline's telemetry listener offers every
 * recorded call; only calls whose span is sampled are kept. Series are found by the identity of the
 * attribute object recorded with (a WeakMap, so the hot path does no hashing), else by content, and are
 * capped at `capacity` series (the instrument's cardinality limit): further series get no exemplars
 * and are counted in `droppedSeries`.
 */
export class ExemplarStore {
  private byObject = new WeakMap<Attributes, SeriesExemplars | number>();
  private readonly byContent = new Map<string, SeriesExemplars>();
  // Bumped when a series is added, so a remembered miss on the read side is retried after that.
  private generation = 0;
  /** Attribute sets refused because the store was full (each counted once while it stays full). */
  droppedSeries = 0;

  constructor(
    /** Bucket boundaries the slots follow (the instrument's advice). */
    readonly boundaries: readonly number[],
    private capacity: number,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Series held. */
  get size(): number {
    return this.byContent.size;
  }

  /** Raises the series cap to at least `capacity` (never lowers it). */
  ensureCapacity(capacity: number): void {
    if (capacity > this.capacity) this.capacity = capacity;
  }

  /**
   * The hot path: keeps the call as its bucket's exemplar when its span is sampled. Allocates only
   * the first time a series is seen.
   */
  offer(attributes: Attributes, value: number, span: SpanContext): void {
    if ((span.traceFlags & TraceFlags.SAMPLED) === 0 || value !== value) return;
    let series = this.byObject.get(attributes);
    if (series === undefined || typeof series === 'number') {
      // A series refused while the store is full stays refused, without hashing its attributes again.
      if (series === this.generation && this.byContent.size >= this.capacity) return;
      series = this.register(attributes);
      if (series === undefined) return;
    }
    const slot = bucketIndex(this.boundaries, value);
    series.traceIds[slot] = span.traceId;
    series.spanIds[slot] = span.spanId;
    series.values[slot] = value;
    series.timesMs[slot] = this.clock.wall();
  }

  /** The read side: the series recorded with attributes equal to `attributes`, if any. */
  find(attributes: Attributes): SeriesExemplars | undefined {
    const known = this.byObject.get(attributes);
    if (known !== undefined && typeof known !== 'number') return known;
    if (this.byContent.size === 0 || known === this.generation) return undefined;
    const series = this.byContent.get(attributesKey(attributes));
    this.byObject.set(attributes, series ?? this.generation);
    return series;
  }

  /** Forgets every exemplar. */
  clear(): void {
    this.byContent.clear();
    this.byObject = new WeakMap();
    this.generation++;
  }

  private register(attributes: Attributes): SeriesExemplars | undefined {
    const key = attributesKey(attributes);
    let series = this.byContent.get(key);
    if (series === undefined) {
      if (this.byContent.size >= this.capacity) {
        this.droppedSeries++;
        this.byObject.set(attributes, this.generation);
        return undefined;
      }
      series = new SeriesExemplars(this.boundaries.length + 1);
      this.byContent.set(key, series);
      this.generation++;
    }
    this.byObject.set(attributes, series);
    return series;
  }
}

/** Series kept per store unless a larger cardinality limit asks for more. */
export const DEFAULT_EXEMPLAR_SERIES = 2000;

// On globalThis so the ESM and CJS builds, and the main and `/sdk` entries, share the stores.
const STORES_KEY = Symbol.for('@llmkg/production.exemplar-stores');

function stores(): Map<string, ExemplarStore> {
  const holder = globalThis as unknown as Record<symbol, Map<string, ExemplarStore> | undefined>;
  let map = holder[STORES_KEY];
  if (map === undefined) {
    map = new Map();
    holder[STORES_KEY] = map;
  }
  return map;
}

/**
 * The process-wide exemplar store of `production.operation.duration`, which the pipeline writes and the
 * exposition writer reads. `capacity` raises its series cap.
 */
export function operationDurationExemplars(capacity = DEFAULT_EXEMPLAR_SERIES): ExemplarStore {
  const map = stores();
  let store = map.get(METRIC.operationDuration);
  if (store === undefined) {
    store = new ExemplarStore(DURATION_BUCKETS_SECONDS, capacity);
    map.set(METRIC.operationDuration, store);
  }
  store.ensureCapacity(capacity);
  return store;
}

/** The exemplar store of the instrument named `instrumentName`, if one exists. */
export function exemplarStoreFor(instrumentName: string): ExemplarStore | undefined {
  return stores().get(instrumentName);
}
