import { z } from 'zod';
import type { Clock } from '../internal/time.js';
import type { RetryBudgetStatus } from './snapshot.js';

export type { RetryBudgetStatus } from './snapshot.js';

/** Schema of {@link RetryBudgetConfig} (Finagle's and Linkerd's defaults). */
export const retryBudgetConfigSchema = z.strictObject({
  /** Retries allowed per call made, over the window (0.2: at most one retry for every five calls). */
  ratio: z.number().min(0).max(1000).default(0.2),
  /** Window over which calls and retries are counted. */
  ttlMs: z.number().int().min(1000).max(600_000).default(10_000),
  /** Retries allowed per second on top of the ratio, so an operation with little traffic can still retry. */
  minRetriesPerSecond: z.number().min(0).max(1_000_000).default(10),
});

/** A retry budget: retries as a share of calls over a sliding window, plus a small reserve. */
export type RetryBudgetConfig = z.output<typeof retryBudgetConfigSchema>;

/** Slots of the sliding window. */
const SLOTS = 10;

/**
 * Finagle's retry budget: every call deposits, every retry withdraws. A retry may start while
 * `minRetriesPerSecond * ttl + ratio * calls - retries`, over the last `ttlMs`, is at least 1. Calls and
 * retries sit in ten time slots of a ring; a call costs a clock read and two increments.
 *
 * Guarantee: within any one window, retries never exceed `ratio * calls + minRetriesPerSecond * ttl`.
 * Over a longer run the window's retries are charged against the window's calls, so the whole run's retries
 * stay under `ratio * calls` plus one reserve per window.
 */
export class RetryBudget {
  private readonly calls = new Float64Array(SLOTS);
  private readonly retries = new Float64Array(SLOTS);
  private callSum = 0;
  private retrySum = 0;
  private slot: number;
  private readonly slotMs: number;
  private readonly reserve: number;
  /** Retries refused since start. */
  exhausted = 0;

  constructor(
    readonly dependency: string,
    readonly config: RetryBudgetConfig,
    private readonly clock: Clock,
  ) {
    this.slotMs = config.ttlMs / SLOTS;
    this.reserve = (config.minRetriesPerSecond * config.ttlMs) / 1000;
    this.slot = Math.floor(clock.monotonic() / this.slotMs);
  }

  /** Counts one call. */
  deposit(): void {
    this.advance();
    this.calls[this.slot % SLOTS]!++;
    this.callSum++;
  }

  /** Takes one retry from the budget: true when it may start, false (counted in `exhausted`) when it is empty. */
  tryWithdraw(): boolean {
    if (this.balance() < 1) {
      this.exhausted++;
      return false;
    }
    this.retries[this.slot % SLOTS]!++;
    this.retrySum++;
    return true;
  }

  /** Retries that may start now (can be fractional or negative). */
  balance(): number {
    this.advance();
    return this.reserve + this.config.ratio * this.callSum - this.retrySum;
  }

  /** Plain JSON state. */
  status(): RetryBudgetStatus {
    const balance = this.balance();
    const { ratio, ttlMs, minRetriesPerSecond } = this.config;
    return {
      dependency: this.dependency,
      balance,
      calls: this.callSum,
      retries: this.retrySum,
      exhausted: this.exhausted,
      ratio,
      ttlMs,
      minRetriesPerSecond,
    };
  }

  private advance(): void {
    const now = Math.floor(this.clock.monotonic() / this.slotMs);
    // A clock read that goes back (it should not) counts into the current slot.
    if (now <= this.slot) return;
    const steps = Math.min(SLOTS, now - this.slot);
    for (let i = 1; i <= steps; i++) {
      const index = (this.slot + i) % SLOTS;
      this.callSum -= this.calls[index]!;
      this.retrySum -= this.retries[index]!;
      this.calls[index] = 0;
      this.retries[index] = 0;
    }
    this.slot = now;
  }
}
