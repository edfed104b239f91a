export type { OperationStatsSnapshot } from './snapshot.js';
import type { OperationStatsSnapshot } from './snapshot.js';
/**
 * Counters and a ring of recent durations for one operation. The ring gives the p99 on demand, so the hot
 * path writes one float and bumps integers.
 */
export class OperationStats {
  calls = 0;
  successes = 0;
  failures = 0;
  retries = 0;
  rejections = 0;
  timeouts = 0;
  private totalSeconds = 0;
  private readonly ring: Float64Array;
  private cursor = 0;
  private filled = 0;
  private median = 0;
  private medianAt = -1;

  constructor(samples: number) {
    this.ring = new Float64Array(samples);
  }

  /** Records one finished call. */
  record(success: boolean, seconds: number): void {
    this.calls++;
    if (success) this.successes++;
    else this.failures++;
    this.totalSeconds += seconds;
    this.ring[this.cursor] = seconds;
    this.cursor = (this.cursor + 1) % this.ring.length;
    if (this.filled < this.ring.length) this.filled++;
  }

  /** Records one call refused before it ran. */
  recordRejection(): void {
    this.calls++;
    this.rejections++;
  }

  /** Quantile (0..1) of the recent durations, in seconds; 0 with no samples. */
  quantile(q: number): number {
    if (this.filled === 0) return 0;
    const sorted = Array.from(this.ring.subarray(0, this.filled)).sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  }

  /**
   * Median of the recent durations, in ms: what a retry needs at least, by the operation's own record.
   * Sorted again only every 32 calls, since retries ask it on the hot path of an outage.
   */
  recentMedianMs(): number {
    const ran = this.successes + this.failures;
    if (this.medianAt < 0 || ran - this.medianAt >= 32) {
      this.median = this.quantile(0.5) * 1000;
      this.medianAt = ran;
    }
    return this.median;
  }

  /** Plain JSON view: counts, mean and p50/p99 latency in milliseconds. */
  toJSON(): OperationStatsSnapshot {
    const ran = this.successes + this.failures;
    return {
      calls: this.calls,
      successes: this.successes,
      failures: this.failures,
      retries: this.retries,
      rejections: this.rejections,
      timeouts: this.timeouts,
      meanLatencyMs: ran === 0 ? 0 : (this.totalSeconds / ran) * 1000,
      p50LatencyMs: this.quantile(0.5) * 1000,
      p99LatencyMs: this.quantile(0.99) * 1000,
    };
  }
}
