import type { BatchObservableCallback, Histogram, Meter } from '@opentelemetry/api';
import { monitorEventLoopDelay, performance, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { createGuard, type Guard } from '../guard.js';
import { guarded } from '../telemetry/internal-errors.js';
import { availableCores, cpuPercentOfAllCores, MIN_CPU_WINDOW_MS } from '../internal/cpu.js';
import { RUNTIME_METRIC } from './alerts/default-rules.js';

/** Process statistics, the seed's `SystemStats`. */
export interface SystemStats {
  /** When these were sampled (ms since the epoch). */
  readonly timestamp: number;
  readonly uptimeSeconds: number;
  /** CPU used by the process over the last interval, as a share of all the CPUs available to it (0 to 100). */
  readonly cpuPercent: number;
  readonly memory: {
    readonly rssBytes: number;
    readonly heapUsedBytes: number;
    readonly heapTotalBytes: number;
    readonly heapLimitBytes: number;
    readonly externalBytes: number;
  };
  /** Event-loop delay over the last interval, in milliseconds. */
  readonly eventLoopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number; readonly mean: number };
  /** Share of the last interval the event loop was busy (0..1). */
  readonly eventLoopUtilization: number;
  /** Garbage collections since the sampler started. */
  readonly gc: { readonly count: number; readonly totalMs: number };
  /** Protected operations in flight, when the monitor was given a source for them. */
  readonly activeOperations: number;
}

const GC_KINDS: Readonly<Record<number, string>> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };

/**
 * Samples the process on an `unref()`ed timer with `perf_hooks` and reports OTel semantic-convention
 * runtime metrics. Process-wide and shared: monitors lease it, the last release stops it.
 */
class Sampler {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly observer: PerformanceObserver;
  private readonly timer: NodeJS.Timeout;
  // Baseline: the process's start (no CPU spent at performance.now() 0), so the first figure is the average
  // since start-up instead of a ratio over the microseconds since this sampler was made.
  private lastCpu: NodeJS.CpuUsage = { user: 0, system: 0 };
  private lastWall = 0;
  private lastElu = performance.eventLoopUtilization();
  private readonly cpus = availableCores();
  private gcCount = 0;
  private gcMs = 0;
  private gcHistogram: Histogram | undefined;
  private removeObservers: (() => void) | undefined;
  private sampled = false;
  current: Omit<SystemStats, 'activeOperations' | 'memory' | 'uptimeSeconds' | 'timestamp'>;

  constructor(
    readonly intervalMs: number,
    meter: Meter | undefined,
  ) {
    this.histogram.enable();
    this.current = {
      cpuPercent: 0,
      eventLoopDelayMs: { p50: 0, p99: 0, max: 0, mean: 0 },
      eventLoopUtilization: 0,
      gc: { count: 0, totalMs: 0 },
    };
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        this.gcCount++;
        this.gcMs += entry.duration;
        const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
        this.gcHistogram?.record(entry.duration / 1000, { 'v8js.gc.type': GC_KINDS[kind] ?? 'unknown' });
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
    if (meter) this.instrument(meter);
    this.timer = setInterval(
      guarded('system_stats', () => this.sample()),
      intervalMs,
    );
    this.timer.unref();
  }

  /** Takes a sample now: CPU and event-loop numbers over the time since the previous one. */
  sample(): void {
    this.sampled = true;
    const wall = performance.now();
    const elapsedMs = wall - this.lastWall;
    let cpuPercent = this.current.cpuPercent;
    if (elapsedMs >= MIN_CPU_WINDOW_MS) {
      const now = process.cpuUsage();
      cpuPercent = cpuPercentOfAllCores(now.user - this.lastCpu.user + now.system - this.lastCpu.system, elapsedMs, this.cpus);
      this.lastCpu = now;
      this.lastWall = wall;
    }
    const elu = performance.eventLoopUtilization(this.lastElu);
    this.lastElu = performance.eventLoopUtilization();
    const h = this.histogram;
    const toMs = (ns: number): number => (Number.isFinite(ns) ? ns / 1e6 : 0);
    this.current = {
      cpuPercent,
      eventLoopDelayMs:
        h.count > 0
          ? { p50: toMs(h.percentile(50)), p99: toMs(h.percentile(99)), max: toMs(h.max), mean: toMs(h.mean) }
          : this.current.eventLoopDelayMs,
      eventLoopUtilization: elu.utilization,
      gc: { count: this.gcCount, totalMs: this.gcMs },
    };
    h.reset();
  }

  /** The latest sample, taking a first one when none was taken yet. */
  read(): Sampler['current'] {
    if (!this.sampled) this.sample();
    return this.current;
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
    this.observer.disconnect();
    this.removeObservers?.();
  }

  private instrument(meter: Meter): void {
    this.gcHistogram = meter.createHistogram(RUNTIME_METRIC.gcDuration, {
      description: 'Garbage collection duration',
      unit: 's',
      advice: { explicitBucketBoundaries: [0.001, 0.01, 0.1, 1, 10] },
    });
    const cpu = meter.createObservableGauge(RUNTIME_METRIC.cpuUtilization, {
      description: 'CPU used by the process over the last sampling interval, per available CPU',
      unit: '1',
    });
    const rss = meter.createObservableUpDownCounter(RUNTIME_METRIC.memoryUsage, {
      description: 'Resident set size of the process',
      unit: 'By',
    });
    const uptime = meter.createObservableGauge(RUNTIME_METRIC.uptime, { description: 'Time since the process started', unit: 's' });
    const heapUsed = meter.createObservableGauge(RUNTIME_METRIC.heapUsed, { description: 'V8 heap in use', unit: 'By' });
    const heapLimit = meter.createObservableGauge(RUNTIME_METRIC.heapLimit, { description: 'V8 heap size limit', unit: 'By' });
    const p50 = meter.createObservableGauge(RUNTIME_METRIC.eventLoopDelayP50, {
      description: 'Event-loop delay, 50th percentile over the last sampling interval',
      unit: 's',
    });
    const p99 = meter.createObservableGauge(RUNTIME_METRIC.eventLoopDelayP99, {
      description: 'Event-loop delay, 99th percentile over the last sampling interval',
      unit: 's',
    });
    const max = meter.createObservableGauge(RUNTIME_METRIC.eventLoopDelayMax, {
      description: 'Event-loop delay, maximum over the last sampling interval',
      unit: 's',
    });
    const elu = meter.createObservableGauge(RUNTIME_METRIC.eventLoopUtilization, {
      description: 'Share of the last sampling interval the event loop was busy',
      unit: '1',
    });
    const observables = [cpu, rss, uptime, heapUsed, heapLimit, p50, p99, max, elu];
    const callback: BatchObservableCallback = (result) => {
      const stats = this.current;
      const memory = process.memoryUsage();
      result.observe(cpu, stats.cpuPercent / 100);
      result.observe(rss, memory.rss);
      result.observe(uptime, process.uptime());
      result.observe(heapUsed, memory.heapUsed);
      result.observe(heapLimit, getHeapStatistics().heap_size_limit);
      result.observe(p50, stats.eventLoopDelayMs.p50 / 1000);
      result.observe(p99, stats.eventLoopDelayMs.p99 / 1000);
      result.observe(max, stats.eventLoopDelayMs.max / 1000);
      result.observe(elu, stats.eventLoopUtilization);
    };
    meter.addBatchObservableCallback(callback, observables);
    this.removeObservers = () => meter.removeBatchObservableCallback(callback, observables);
  }
}

let shared: { sampler: Sampler; leases: number } | undefined;

/**
 * Leases the process-wide sampler (started on first lease with `intervalMs` and, when `meter` is given,
 * the runtime instruments). Releasing the last lease stops it.
 */
export function leaseSystemStats(intervalMs: number, meter: Meter | undefined): { guard: Guard; read: () => Sampler['current'] } {
  if (shared === undefined) shared = { sampler: new Sampler(intervalMs, meter), leases: 0 };
  const holder = shared;
  holder.leases++;
  return {
    read: () => holder.sampler.read(),
    guard: createGuard(() => {
      holder.leases--;
      if (holder.leases === 0) {
        holder.sampler.stop();
        if (shared === holder) shared = undefined;
      }
    }),
  };
}

/** Full stats: the sampled numbers plus memory and uptime read now. */
export function readSystemStats(sampled: Sampler['current'], activeOperations: number): SystemStats {
  const memory = process.memoryUsage();
  return {
    timestamp: Date.now(),
    uptimeSeconds: process.uptime(),
    cpuPercent: sampled.cpuPercent,
    memory: {
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      heapLimitBytes: getHeapStatistics().heap_size_limit,
      externalBytes: memory.external,
    },
    eventLoopDelayMs: sampled.eventLoopDelayMs,
    eventLoopUtilization: sampled.eventLoopUtilization,
    gc: sampled.gc,
    activeOperations,
  };
}
