import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { loopDelaySampler } from '../internal/loop-delay.js';
import { getHeapStatistics } from 'node:v8';
import { guarded } from '../telemetry/internal-errors.js';
import { ClassShare } from './class-share.js';
import type { NodeSignalsConfig } from './config.js';
import type { NodeSignalsSnapshot } from './snapshot.js';

export type { NodeSignalsSnapshot } from './snapshot.js';

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

/** What admission reads of Node's signals, and how a test samples them now. */
export interface SignalShedding {
  /** Admission of one call of class rank `rank`: false when the signals refuse it. O(1). */
  admit(rank: number): boolean;
  /** Samples now. */
  sample(): void;
  /** Plain JSON state. */
  snapshot(): NodeSignalsSnapshot;
}

const SHEDDING = ['none', 'sheddable', 'sheddable_plus', 'critical', 'critical_plus'] as const;
const round = (n: number): number => Math.round(n * 1000) / 1000;
const clamp = (n: number): number => Math.max(-1, Math.min(1, n));

/**
 * Node's own load signals, sampled on an unref'd timer (never per call), shedding a share of calls that follows
 * the excess. Each sample takes the worst signal over its threshold (`worst = signal / threshold`) and moves the
 * refused share by `gain x (worst - 1) / (severeFactor - 1)`, within -gain and +gain: the share climbs while a
 * signal is over its threshold, by the full gain at `severeFactor` times it, and falls once all are under, so it
 * settles where the worst signal sits at its threshold. The share is taken from the lowest class first by the
 * classes' recent arrivals (`ClassShare`): every class can be refused, `critical_plus` last.
 */
export class NodeSignals implements SignalShedding {
  private readonly share: ClassShare;
  private elu = 0;
  private delay = 0;
  private heap = 0;
  private excess = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: NodeSignalsConfig,
    private readonly probe: SignalProbe = processSignalProbe(),
    random: () => number = Math.random,
  ) {
    this.share = new ClassShare(config.maxRefusal, random);
  }

  /** The share of calls refused now. */
  get refusal(): number {
    return this.share.refusal;
  }

  /** Probability that a call of each class rank is refused now. */
  get refusalByRank(): readonly number[] {
    return this.share.refusalByRank;
  }

  admit(rank: number): boolean {
    return !this.share.refuses(rank);
  }

  /** Samples now (the timer does this every `sampleIntervalMs`) and moves the refused share. */
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
    // severeFactor 1 would divide by zero: any excess then moves the share by the full gain.
    const excess = (worst - 1) / Math.max(c.severeFactor - 1, 1e-6);
    // The excess's trend damps the move, as PIE (RFC 8033) adds the delay's change to its error: a backlog keeps
    // the signals up after the share is already enough to drain it, and a pure sum of excesses overshoots into a
    // cycle of refusing nearly all, then nearly none.
    this.share.move(c.gain * (clamp(excess) + clamp(excess - this.excess)));
    this.excess = excess;
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
    let highest = 0;
    this.share.refusalByRank.forEach((p, rank) => (highest = p > 0 ? rank + 1 : highest));
    return {
      eventLoopUtilization: round(this.elu),
      eventLoopDelayP99Ms: round(this.delay),
      heapUsedRatio: round(this.heap),
      shedding: SHEDDING[highest]!,
      refusal: round(this.share.refusal),
      refusalByClass: this.share.byClass(),
    };
  }

  // A timer callback: a throw here is counted in production.internal.errors, and the next tick tries again.
  private readonly tick = guarded('overload_signals', (): void => this.sample());
}
