/**
 * A bounded ring of recent attempt durations (ms) answering one quantile. The quantile is sorted again only
 * every `resortEvery` samples, so recording stays one float write on the hot path.
 */
export class LatencyRing {
  private readonly ring: Float64Array;
  private cursor = 0;
  private filled = 0;
  private cached = 0;
  private sinceSort = Infinity;

  constructor(
    capacity: number,
    private readonly q: number,
    private readonly resortEvery = 16,
  ) {
    this.ring = new Float64Array(capacity);
  }

  /** Durations recorded and still in the ring. */
  get size(): number {
    return this.filled;
  }

  /** Records one duration in ms (non-finite or negative readings are ignored). */
  record(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) return;
    this.ring[this.cursor] = ms;
    this.cursor = (this.cursor + 1) % this.ring.length;
    if (this.filled < this.ring.length) this.filled++;
    this.sinceSort++;
  }

  /** The configured quantile of the recent durations, in ms; 0 with none. */
  quantileMs(): number {
    if (this.filled === 0) return 0;
    if (this.sinceSort >= this.resortEvery) {
      const sorted = this.ring.slice(0, this.filled).sort();
      this.cached = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(this.q * sorted.length) - 1))]!;
      this.sinceSort = 0;
    }
    return this.cached;
  }
}
