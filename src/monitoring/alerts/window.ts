import { Ring } from '../ring.js';

/** One sample of a group: a vector (a scalar, a numerator/denominator pair, or bucket counts). */
interface Sample {
  readonly t: number;
  readonly values: Float64Array;
}

/**
 * Recent cumulative samples of one group, enough to compute an increase over the rule's window. A ring, so
 * it never holds more than `capacity` samples however often collections run.
 */
export class SampleWindow {
  private readonly ring: Ring<Sample>;
  /** When the group was last seen. */
  lastSeen = 0;

  constructor(capacity: number) {
    this.ring = new Ring<Sample>(capacity);
  }

  /** Records the cumulative vector at `t`. */
  add(t: number, values: Float64Array): void {
    this.ring.push({ t, values });
    this.lastSeen = t;
  }

  /**
   * Increase of each component over the samples within `windowMs` of `now`, with Prometheus' counter-reset
   * rule (a drop means the counter restarted from zero). Undefined until two samples fall in the window.
   */
  increase(now: number, windowMs: number): { values: Float64Array; spanMs: number } | undefined {
    const from = now - windowMs;
    const samples = this.ring.newest(this.ring.capacity, (s) => s.t >= from && s.t <= now);
    if (samples.length < 2) return undefined;
    const newest = samples[0]!;
    const oldest = samples[samples.length - 1]!;
    const width = newest.values.length;
    const out = new Float64Array(width);
    for (let i = samples.length - 1; i > 0; i--) {
      const prev = samples[i]!.values;
      const cur = samples[i - 1]!.values;
      const n = Math.min(width, prev.length, cur.length);
      for (let k = 0; k < n; k++) {
        const delta = cur[k]! - prev[k]!;
        out[k] = out[k]! + (delta >= 0 ? delta : cur[k]!);
      }
    }
    return { values: out, spanMs: newest.t - oldest.t };
  }
}
