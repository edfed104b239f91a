import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Event-loop delay p99 since the previous reading, from `monitorEventLoopDelay`. */
export interface LoopDelaySampler {
  /** p99 in ms since the previous call (the histogram restarts); NaN when nothing was measured. */
  p99Ms(): number;
  /** Stops measuring. */
  close(): void;
}

/** Starts measuring the event-loop delay at `resolutionMs`. */
export function loopDelaySampler(resolutionMs: number): LoopDelaySampler {
  let histogram: IntervalHistogram | undefined = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  return {
    p99Ms: () => {
      if (histogram === undefined || histogram.count === 0) return Number.NaN;
      const p99 = histogram.percentile(99) / 1e6;
      histogram.reset();
      return p99;
    },
    close: () => {
      histogram?.disable();
      histogram = undefined;
    },
  };
}
