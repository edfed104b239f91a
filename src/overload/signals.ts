import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { loopDelaySampler } from '../internal/loop-delay.js';
import { getHeapStatistics } from 'node:v8';
import { guarded } from '../telemetry/internal-errors.js';
import type { NodeSignalsConfig } from './config.js';

/** Where Node's load signals come from; tests inject their own. */
export interface SignalProbe {
  /** Event-loop utilisation (0 to 1) since the previous call. */
  eventLoopUtilization(): number;
  /** Event-loop delay p99 since the previous call, in ms (NaN when unknown). */
  eventLoopDelayP99Ms(): number;
  /** Heap in use over the heap's limit, 0 to 1. */
  heapUsedRatio(): number;
  /** Stops background measurement. */
  close(): void;
}

/** This process's signals: `performance.eventLoopUtilization`, `monitorEventLoopDelay`, `v8.getHeapStatistics`. */
export function processSignalProbe(): SignalProbe {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  const loopDelay = loopDelaySampler(10);
  return {
    eventLoopUtilization: () => {
      const now = performance.eventLoopUtilization();
      const delta = performance.eventLoopUtilization(now, last);
      last = now;
      return delta.utilization;
    },
    eventLoopDelayP99Ms: () => loopDelay.p99Ms(),
    heapUsedRatio: () => {
      const heap = getHeapStatistics();
      return heap.used_heap_size / heap.heap_size_limit;
    },
    close: () => loopDelay.close(),
  };
}

/** The last sample of Node's signals, and which classes they shed. */
export interface NodeSignalsSnapshot {
  readonly eventLoopUtilization: number;
  readonly eventLoopDelayP99Ms: number;
  readonly heapUsedRatio: number;
  /** Classes refused on these signals now: none, `sheddable`, or `sheddable` and `sheddable_plus`. */
  readonly shedding: 'none' | 'sheddable' | 'sheddable_plus';
}

/** What admission reads of Node's signals, and how a test samples them now. */
export interface SignalShedding {
  /** Calls of a class rank below this are refused now: 0 none, 1 `sheddable`, 2 `sheddable` and `sheddable_plus`. */
  readonly shedBelow: number;
  /** Samples now. */
  sample(): void;
  /** Plain JSON state. */
  snapshot(): NodeSignalsSnapshot;
}

/**
 * Node's own load signals, sampled on an unref'd timer (never per call). At its threshold a signal sheds
 * `sheddable` calls; at `severeFactor` times its threshold `sheddable_plus` calls too. `critical` and
 * `critical_plus` calls are never refused on signals: only the concurrency limit refuses those.
 */
export class NodeSignals implements SignalShedding {
  /** Calls of a class rank below this are refused now: 0 none, 1 `sheddable`, 2 `sheddable` and `sheddable_plus`. */
  shedBelow = 0;
  private elu = 0;
  private delay = 0;
  private heap = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: NodeSignalsConfig,
    private readonly probe: SignalProbe = processSignalProbe(),
  ) {}

  /** Samples now (the timer does this every `sampleIntervalMs`). */
  sample(): void {
    const delay = this.probe.eventLoopDelayP99Ms();
    this.elu = this.probe.eventLoopUtilization();
    this.delay = Number.isNaN(delay) ? 0 : delay;
    this.heap = this.probe.heapUsedRatio();
    const c = this.config;
    const worst = Math.max(
      c.eventLoopUtilization === null ? 0 : this.elu / c.eventLoopUtilization,
      c.eventLoopDelayP99Ms === null ? 0 : this.delay / c.eventLoopDelayP99Ms,
      c.heapUsedRatio === null ? 0 : this.heap / c.heapUsedRatio,
    );
    this.shedBelow = worst >= c.severeFactor ? 2 : worst >= 1 ? 1 : 0;
  }

  /** Starts the sampling timer (unref'd). */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(this.tick, this.config.sampleIntervalMs);
    this.timer.unref();
  }

  /** Stops sampling and the probe. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.probe.close();
  }

  /** Plain JSON state. */
  snapshot(): NodeSignalsSnapshot {
    const round = (n: number): number => Math.round(n * 1000) / 1000;
    return {
      eventLoopUtilization: round(this.elu),
      eventLoopDelayP99Ms: round(this.delay),
      heapUsedRatio: round(this.heap),
      shedding: this.shedBelow === 0 ? 'none' : this.shedBelow === 1 ? 'sheddable' : 'sheddable_plus',
    };
  }

  // A timer callback: a throw here is counted in production.internal.errors, and the next tick tries again.
  private readonly tick = guarded('overload_signals', (): void => this.sample());
}
