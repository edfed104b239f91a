import type { Attributes, BatchObservableCallback, Meter, ObservableCounter, ObservableGauge } from '@opentelemetry/api';
import { getMeter } from '../telemetry/api.js';
import { ATTR, METRIC } from '../telemetry/names.js';
import type { AdaptiveLimiter } from './adaptive-limiter.js';
import { CRITICALITIES } from './criticality.js';
import type { ClientThrottle } from './throttle.js';

/** What the overload metrics read at collection time. */
export interface OverloadMetricsSource {
  /** Every adaptive limit, the global one as `*`. */
  limiters(): Iterable<AdaptiveLimiter>;
  /** Calls shed per operation, by class rank. */
  shedCounts(): Iterable<readonly [string, readonly number[]]>;
  throttles(): Iterable<ClientThrottle>;
}

/**
 * The overload instruments, all observable: the hot path only bumps plain numbers. Every attribute is
 * bounded: operation names (capped), four classes, configured dependencies.
 */
export class OverloadMetrics {
  private readonly meter: Meter = getMeter();
  private readonly limit: ObservableGauge;
  private readonly inFlight: ObservableGauge;
  private readonly shed: ObservableCounter;
  private readonly probability: ObservableGauge;
  private readonly attrs = new Map<string, Attributes>();
  private registered = false;

  constructor(private readonly source: OverloadMetricsSource) {
    this.limit = this.meter.createObservableGauge(METRIC.concurrencyLimit, {
      description: 'Current adaptive concurrency limit per operation (`*` for the global limit)',
      unit: '{operation}',
    });
    this.inFlight = this.meter.createObservableGauge(METRIC.concurrencyInFlight, {
      description: 'Calls holding a slot of an adaptive concurrency limit (`*` for the global limit)',
      unit: '{operation}',
    });
    this.shed = this.meter.createObservableCounter(METRIC.concurrencyShed, {
      description: 'Calls refused as OVERLOADED (adaptive limit, queue, or Node signals) by operation and criticality',
      unit: '{call}',
    });
    this.probability = this.meter.createObservableGauge(METRIC.throttleProbability, {
      description: 'Client-side throttling: probability that a call to the dependency is refused locally',
      unit: '1',
    });
  }

  /** Starts reporting. */
  register(): void {
    if (this.registered) return;
    this.meter.addBatchObservableCallback(this.collect, [this.limit, this.inFlight, this.shed, this.probability]);
    this.registered = true;
  }

  /** Stops reporting. */
  unregister(): void {
    if (!this.registered) return;
    this.meter.removeBatchObservableCallback(this.collect, [this.limit, this.inFlight, this.shed, this.probability]);
    this.registered = false;
  }

  private attributes(key: string, build: () => Attributes): Attributes {
    let attrs = this.attrs.get(key);
    if (attrs === undefined) this.attrs.set(key, (attrs = build()));
    return attrs;
  }

  private readonly collect: BatchObservableCallback = (result) => {
    for (const limiter of this.source.limiters()) {
      const attrs = this.attributes(`o:${limiter.operation}`, () => ({ [ATTR.operationName]: limiter.operation }));
      result.observe(this.limit, limiter.limit, attrs);
      result.observe(this.inFlight, limiter.inFlight, attrs);
    }
    for (const [operation, counts] of this.source.shedCounts()) {
      counts.forEach((count, rank) => {
        if (count === 0) return;
        const criticality = CRITICALITIES[rank]!;
        const attrs = this.attributes(`s:${rank}:${operation}`, () => ({
          [ATTR.operationName]: operation,
          [ATTR.criticality]: criticality,
        }));
        result.observe(this.shed, count, attrs);
      });
    }
    for (const throttle of this.source.throttles()) {
      const attrs = this.attributes(`d:${throttle.dependency}`, () => ({ [ATTR.dependency]: throttle.dependency }));
      result.observe(this.probability, throttle.probability(), attrs);
    }
  };
}
