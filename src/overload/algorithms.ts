/**
 * Concurrency-limit algorithms: pure state machines fed one window of latency samples at a time (no clock, no
 * timers), so their convergence and bounds are tested by feeding numbers. Both follow Netflix's
 * concurrency-limits (`Gradient2Limit`, `AIMDLimit`), with the changes noted where they differ.
 */

/** One window of finished calls, as the adaptive limiter summarises it. */
export interface LimitSample {
  /** Mean round-trip time of the window's calls, in ms. */
  readonly rttMs: number;
  /** Most calls in flight during the window. */
  readonly inFlight: number;
  /** True when a call of the window was dropped (timed out, or refused downstream as overloaded). */
  readonly dropped: boolean;
}

/** A concurrency-limit algorithm: its current limit, and how one window of samples moves it. */
export interface LimitAlgorithm {
  /** `gradient2` or `aimd`. */
  readonly name: string;
  /** The current limit, an integer within the algorithm's bounds. */
  readonly limit: number;
  /** Feeds one window; returns the new limit. */
  update(sample: LimitSample): number;
}

/** Bounds shared by every algorithm. */
export interface LimitBounds {
  /** Limit to start from. */
  readonly initialLimit: number;
  /** The limit never goes below this. */
  readonly minLimit: number;
  /** The limit never goes above this. */
  readonly maxLimit: number;
}

/** Settings of the Gradient2 limit algorithm (`adaptiveConcurrency.algorithm: gradient2`). */
export interface Gradient2Options extends LimitBounds {
  /** Share of each new estimate blended into the limit, 0 to 1 (Netflix: 0.2). */
  readonly smoothing: number;
  /** How much slower than the baseline RTT the recent RTT may be before the limit shrinks (Netflix: 1.5, i.e. 50 %). */
  readonly rttTolerance: number;
  /** Windows the baseline (long-term) RTT averages over. */
  readonly longWindow: number;
  /** Headroom added to each estimate so the limit can probe upwards (Netflix: 4). */
  readonly queueSize: number;
  /**
   * Windows between baseline probes (0: none but the first). A probe holds the limit at a quarter for two
   * windows (one to drain, one to measure) and takes that RTT as the baseline, as Envoy's adaptive-concurrency
   * filter measures its minRTT: the only way to learn the service's own RTT when it was saturated from the start.
   */
  readonly probeInterval?: number;
}

const clamp = (value: number, bounds: LimitBounds): number => Math.min(bounds.maxLimit, Math.max(bounds.minLimit, value));

/** How much slower the baseline RTT follows a higher RTT while the limit is in full use. */
const SATURATED_DRIFT = 200;

/**
 * Gradient2: the limit follows the ratio of the baseline RTT to the recent RTT. While calls take no longer
 * than `rttTolerance` times the baseline it grows by `queueSize` (smoothed); once queueing makes them slower
 * it shrinks, at most by half per window. It does not grow while less than half of it is in use.
 *
 * Where this differs from Netflix's: while the limit is in full use (at least half of it in flight) the
 * baseline follows a higher RTT 200 times slower, so a sustained queue does not become the new normal
 * (Netflix's long average drifts up under steady overload, and the limit with it); it follows freely when the
 * RTT falls or the limit is not in use (no queue of ours in it). As in Netflix's, a baseline more than twice the
 * recent RTT decays by 5 % per window. Like every latency-learned limit, it needs some calls at a normal RTT to
 * learn its baseline: start it at or below the capacity (`initialLimit`).
 */
export class Gradient2Limit implements LimitAlgorithm {
  readonly name = 'gradient2';
  private estimate: number;
  private baseline = 0;
  private readonly alpha: number;
  /** Windows left in the current probe (2: draining, 1: measuring), 0 when not probing. */
  private probe = 2;
  private sinceProbe = 0;

  constructor(private readonly options: Gradient2Options) {
    this.estimate = clamp(options.initialLimit, options);
    this.alpha = 2 / (options.longWindow + 1);
  }

  get limit(): number {
    if (this.probe > 0) return Math.max(this.options.minLimit, Math.floor(this.estimate / 4));
    return Math.floor(this.estimate);
  }

  /** The baseline RTT in ms (0 before the first sample). */
  get baselineRttMs(): number {
    return this.baseline;
  }

  update(sample: LimitSample): number {
    const rtt = sample.rttMs;
    if (!(rtt > 0)) return this.limit;
    if (this.probe > 0) {
      if (--this.probe === 0) {
        this.baseline = rtt;
        this.sinceProbe = 0;
      }
      return this.limit;
    }
    const interval = this.options.probeInterval ?? 0;
    if (interval > 0 && ++this.sinceProbe >= interval) this.probe = 2;
    // App-limited: no queue of ours in the RTT, so it is the service's own; growing a limit nobody uses only
    // lets a later burst through unchecked.
    const appLimited = !sample.dropped && sample.inFlight < this.estimate / 2;
    if (this.baseline === 0) this.baseline = rtt;
    else this.baseline += (rtt < this.baseline || appLimited ? this.alpha : this.alpha / SATURATED_DRIFT) * (rtt - this.baseline);
    if (this.baseline / rtt > 2) this.baseline *= 0.95;
    if (appLimited) return this.limit;
    const gradient = sample.dropped ? 0.5 : Math.max(0.5, Math.min(1, (this.options.rttTolerance * this.baseline) / rtt));
    const next = this.estimate * gradient + (sample.dropped ? 0 : this.options.queueSize);
    const { smoothing } = this.options;
    this.estimate = clamp(this.estimate * (1 - smoothing) + next * smoothing, this.options);
    return this.limit;
  }
}

/** Settings of the AIMD limit algorithm (`adaptiveConcurrency.algorithm: aimd`). */
export interface AimdOptions extends LimitBounds {
  /** Factor the limit is multiplied by on a drop, 0.5 to 1 exclusive (Netflix: 0.9). */
  readonly backoffRatio: number;
  /** A window whose mean RTT is above this counts as a drop, in ms. */
  readonly latencyThresholdMs: number;
}

/**
 * Additive increase, multiplicative decrease: +1 per window while at least half of the limit is in use, times
 * `backoffRatio` on a drop (a timeout, an overload refusal downstream, or a window slower than
 * `latencyThresholdMs`). Simple and predictable; it needs a latency threshold, which Gradient2 learns.
 */
export class AimdLimit implements LimitAlgorithm {
  readonly name = 'aimd';
  private current: number;

  constructor(private readonly options: AimdOptions) {
    this.current = clamp(options.initialLimit, options);
  }

  get limit(): number {
    return this.current;
  }

  update(sample: LimitSample): number {
    if (sample.dropped || sample.rttMs > this.options.latencyThresholdMs) {
      this.current = clamp(Math.floor(this.current * this.options.backoffRatio), this.options);
    } else if (sample.inFlight * 2 >= this.current) {
      this.current = clamp(this.current + 1, this.options);
    }
    return this.current;
  }
}
