import type { Attributes, BatchObservableCallback, Meter, ObservableCounter, ObservableGauge } from '@opentelemetry/api';
import { getMeter } from '../telemetry/api.js';
import { ATTR, METRIC } from '../telemetry/names.js';
import type { OperationTable } from './operation-table.js';
import type { ResourceUsage } from './resource-usage.js';
import type { StoreFailures } from './stats.js';

/** What the limits metrics read at collection time. */
export interface LimitsMetricsSource {
  readonly operations: OperationTable;
  /** Resource usage with the live permit counts copied in. */
  usage(): ResourceUsage;
  /** `memory`, `redis`, `custom` or `fallback`. */
  storeState(): string;
  /** Per-user states dropped: [capacity evictions, idle expiries]. */
  userEvictions(): [number, number];
  /** Decisions made without the store, by failure mode. */
  storeFailures(): StoreFailures;
}

const RESOURCE_ATTRS = {
  memory: { [ATTR.resource]: 'memory' },
  cpu: { [ATTR.resource]: 'cpu' },
  operations: { [ATTR.resource]: 'operations' },
  db_connections: { [ATTR.resource]: 'db_connections' },
  event_loop_delay: { [ATTR.resource]: 'event_loop_delay' },
} satisfies Record<string, Attributes>;
const STORE_STATES = ['memory', 'redis', 'custom', 'fallback'] as const;
const STORE_STATE_ATTRS = STORE_STATES.map((state) => ({ [ATTR.state]: state }));
const EVICTION_ATTRS = [{ reason: 'capacity' }, { reason: 'idle' }];
const FAILURE_ATTRS = {
  fail_open: { 'production.rate_limit.failure_mode': 'fail_open' },
  fail_closed: { 'production.rate_limit.failure_mode': 'fail_closed' },
  local_fallback: { 'production.rate_limit.failure_mode': 'local_fallback' },
};

/**
 * The limits' instruments, all observable: the hot path only bumps plain counters and the SDK reads them
 * at collection time through one batch callback. No user id ever becomes an attribute.
 */
export class LimitsMetrics {
  private readonly meter: Meter;
  private readonly decisions: ObservableCounter;
  private readonly resourceUsage: ObservableGauge;
  private readonly storeState: ObservableGauge;
  private readonly evictions: ObservableCounter;
  private readonly storeFailures: ObservableCounter;
  private registered = false;

  constructor(private readonly source: LimitsMetricsSource) {
    this.meter = getMeter();
    this.decisions = this.meter.createObservableCounter(METRIC.rateLimitDecisions, {
      description: 'Rate-limit decisions by limiter scope, operation and outcome',
      unit: '{decision}',
    });
    this.resourceUsage = this.meter.createObservableGauge(METRIC.resourceUsage, {
      description:
        "Sampled resource use, in each resource's unit: memory in bytes, cpu in percent of all available cores (0 to 100), operations and db_connections held, event_loop_delay p99 in ms",
      unit: '1',
    });
    this.storeState = this.meter.createObservableGauge('production.rate_limit.store.state', {
      description: 'Where rate-limit decisions are made: 1 for the current state (memory, redis, custom, fallback), 0 for the others',
      unit: '1',
    });
    this.evictions = this.meter.createObservableCounter('production.rate_limit.evictions', {
      description: 'Per-user limiter states dropped, by reason (capacity: cap reached, idle: unseen for userIdleMs)',
      unit: '{key}',
    });
    this.storeFailures = this.meter.createObservableCounter('production.rate_limit.store.failures', {
      description: 'Rate-limit checks decided without the store because it was unavailable, by failure mode',
      unit: '{decision}',
    });
  }

  /** Starts reporting. */
  register(): void {
    if (this.registered) return;
    this.registered = true;
    this.meter.addBatchObservableCallback(this.collect, this.observables());
  }

  /** Stops reporting. */
  unregister(): void {
    if (!this.registered) return;
    this.registered = false;
    this.meter.removeBatchObservableCallback(this.collect, this.observables());
  }

  private observables() {
    return [this.decisions, this.resourceUsage, this.storeState, this.evictions, this.storeFailures];
  }

  private readonly collect: BatchObservableCallback = (result) => {
    for (const entry of this.source.operations.entries()) {
      const counts = entry.counts();
      const attrs = entry.attributes();
      for (let i = 0; i < counts.length; i++) if (counts[i]! > 0) result.observe(this.decisions, counts[i]!, attrs[i]);
    }
    const usage = this.source.usage();
    result.observe(this.resourceUsage, usage.memoryBytes, RESOURCE_ATTRS.memory);
    result.observe(this.resourceUsage, usage.cpuPercent, RESOURCE_ATTRS.cpu);
    result.observe(this.resourceUsage, usage.activeOperations, RESOURCE_ATTRS.operations);
    result.observe(this.resourceUsage, usage.databaseConnections, RESOURCE_ATTRS.db_connections);
    result.observe(this.resourceUsage, usage.eventLoopDelayMs, RESOURCE_ATTRS.event_loop_delay);
    const state = this.source.storeState();
    STORE_STATES.forEach((s, i) => result.observe(this.storeState, s === state ? 1 : 0, STORE_STATE_ATTRS[i]));
    const [capacity, idle] = this.source.userEvictions();
    result.observe(this.evictions, capacity, EVICTION_ATTRS[0]);
    result.observe(this.evictions, idle, EVICTION_ATTRS[1]);
    const failures = this.source.storeFailures();
    if (state !== 'memory') {
      result.observe(this.storeFailures, failures.fail_open, FAILURE_ATTRS.fail_open);
      result.observe(this.storeFailures, failures.fail_closed, FAILURE_ATTRS.fail_closed);
      result.observe(this.storeFailures, failures.local_fallback, FAILURE_ATTRS.local_fallback);
    }
  };
}
