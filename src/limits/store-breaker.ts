import type { Clock } from '../internal/time.js';

/** State of the store as decisions see it. */
export type StoreBreakerState = 'closed' | 'open' | 'half_open';

/** What a store breaker shows of itself. */
export interface StoreBreakerView {
  /** `closed`, `open`, or `half_open` (a probe may go through). */
  readonly state: StoreBreakerState;
  /** Times it opened. */
  readonly opened: number;
}

/**
 * A consecutive-failure breaker for the rate-limit store: `threshold` failures in a row open it for
 * `cooldownMs`, during which no decision touches the store; then one decision probes, and its outcome
 * closes or reopens it. Calls that were in flight together fail together (one slow moment of the store, or
 * of our own event loop, times out every call then in flight): a failure counts only when its call started
 * after the previous counted failure, so opening takes `threshold` failed rounds, not one bad tick.
 * Cheaper than a policy wrapper on a path taken by every call.
 */
export class StoreBreaker {
  /** Failures in a row (overlapping calls counted once). */
  consecutiveFailures = 0;
  /** Times the breaker opened. */
  opened = 0;
  private openUntil = 0;
  private open = false;
  private probing = false;
  private lastFailureAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly threshold: number,
    private readonly cooldownMs: number,
    private readonly clock: Clock,
  ) {}

  /** Current state. */
  get state(): StoreBreakerState {
    if (!this.open) return 'closed';
    return this.probing || this.clock.monotonic() >= this.openUntil ? 'half_open' : 'open';
  }

  /** True when this decision may use the store; at most one probe at a time while half open. */
  allow(): boolean {
    if (!this.open) return true;
    if (this.probing || this.clock.monotonic() < this.openUntil) return false;
    this.probing = true;
    return true;
  }

  /** Ms until the next probe may run. */
  retryAfterMs(): number {
    return this.open ? Math.max(0, this.openUntil - this.clock.monotonic()) : 0;
  }

  /** A store call succeeded; returns true when this closed the breaker. */
  success(): boolean {
    this.consecutiveFailures = 0;
    this.probing = false;
    if (!this.open) return false;
    this.open = false;
    return true;
  }

  /** A store call that started at `startedAt` (this clock) failed; returns true when this opened the breaker. */
  failure(startedAt: number): boolean {
    const now = this.clock.monotonic();
    const wasProbe = this.probing;
    this.probing = false;
    if (this.open) {
      if (wasProbe) this.openUntil = now + this.cooldownMs;
      return false;
    }
    if (startedAt <= this.lastFailureAt) return false;
    this.lastFailureAt = now;
    this.consecutiveFailures++;
    if (this.consecutiveFailures < this.threshold) return false;
    this.open = true;
    this.opened++;
    this.openUntil = now + this.cooldownMs;
    return true;
  }

  /** Lets the next decision probe at once (the connection came back). */
  probeNow(): void {
    if (this.open) this.openUntil = this.clock.monotonic();
  }
}
