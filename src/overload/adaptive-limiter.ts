import { OverloadedError, abortError, type Criticality, type OverloadReason } from '../errors.js';
import type { Clock } from '../internal/time.js';
import { WaitQueue } from '../internal/wait-queue.js';
import { AimdLimit, Gradient2Limit, type LimitAlgorithm } from './algorithms.js';
import type { AdaptiveConcurrencyConfig } from './config.js';
import { CRITICALITIES, countsByClass, criticalityRank } from './criticality.js';
import type { AdaptiveLimitSnapshot } from './snapshot.js';

export type { AdaptiveLimitSnapshot } from './snapshot.js';

/** How a call held under an adaptive limit ended, as the limit learns from it. */
export type PermitOutcome =
  /** It finished (success, or a failure whose latency is real): its RTT is a sample. */
  | 'success'
  /** It timed out or was refused downstream as overloaded: the limit backs off. */
  | 'dropped'
  /** Its latency says nothing about load (it failed fast): not sampled. */
  | 'ignore';

/** A slot under an adaptive limit. `release(outcome)` gives it back and feeds the call's RTT to the limit once. */
export class AdaptivePermit {
  constructor(
    private limiter: AdaptiveLimiter | undefined,
    /** Monotonic ms when the slot was taken. */
    readonly start: number,
  ) {}

  /** Gives the slot back; later calls do nothing. */
  release(outcome: PermitOutcome = 'success'): void {
    const limiter = this.limiter;
    if (limiter === undefined) return;
    this.limiter = undefined;
    limiter.finish(this.start, outcome);
  }
}

/** Builds the algorithm a config names. */
export function limitAlgorithm(config: AdaptiveConcurrencyConfig): LimitAlgorithm {
  const bounds = { initialLimit: config.initialLimit, minLimit: config.minLimit, maxLimit: config.maxLimit };
  if (config.algorithm === 'aimd') return new AimdLimit({ ...bounds, ...config.aimd });
  const g = config.gradient2;
  return new Gradient2Limit({
    ...bounds,
    smoothing: g.smoothing,
    rttTolerance: g.rttTolerance,
    longWindow: g.longWindow,
    queueSize: g.headroom,
    probeInterval: g.probeInterval,
  });
}

/**
 * An adaptive concurrency limit (step 5's adaptive permit strategy): admits calls while fewer than the limit
 * are in flight, learns the limit from their RTT window by window, and queues the rest in a bounded wait list
 * per class. Importance decides twice: a sheddable class may fill only its share of the limit, and a freed
 * slot goes to the most important waiter; when the queue is full a newcomer pushes out a less important waiter.
 */
export class AdaptiveLimiter {
  /** Calls holding a slot. */
  inFlight = 0;
  /** Most calls in flight at once. */
  peakInFlight = 0;

  /** Calls refused, by class rank (0 `sheddable` to 3 `critical_plus`). */
  readonly shed = [0, 0, 0, 0];
  private readonly algorithm: LimitAlgorithm;
  /** Waiters by class rank (the library's wait queue, one priority per class). */
  private readonly queue: WaitQueue<AdaptivePermit, string>;
  private readonly allowed = [0, 0, 0, 0];
  private windowCount = 0;
  private windowRtt = 0;
  private windowInFlight = 0;
  private windowDropped = false;
  private lastRttMs = 0;
  private closed = false;

  constructor(
    /** The operation it guards, or `*`. */
    readonly operation: string,
    private readonly config: AdaptiveConcurrencyConfig,
    private readonly clock: Clock,
    /** Told of every refusal (metrics), with the refused call's operation and class. */
    private readonly onShed?: (operation: string, criticality: Criticality) => void,
  ) {
    this.algorithm = limitAlgorithm(config);
    this.applyLimit();
    this.queue = new WaitQueue<AdaptivePermit, string>({
      priorities: 4,
      order: () => this.config.queueOrder,
      timeoutError: (waiterOperation, rank) => this.refusal(rank, 'queue_timeout', waiterOperation),
    });
  }

  /** Calls waiting for a slot. */
  get waiting(): number {
    return this.queue.size;
  }

  /** The current limit. */
  get limit(): number {
    return this.algorithm.limit;
  }

  /** A slot now, or undefined when the class's share is full or as important a call already waits. */
  tryAcquire(criticality: Criticality): AdaptivePermit | undefined {
    const rank = criticalityRank(criticality);
    if (this.closed || this.inFlight >= this.allowed[rank]! || (this.queue.size > 0 && this.queue.waitingAtOrAbove(rank))) return undefined;
    return this.admit();
  }

  /** A slot, waiting up to `maxWaitMs` when the queue has room; OVERLOADED when none comes, ABORTED on `signal` (DEADLINE_EXCEEDED when the call's deadline fired). */
  acquire(criticality: Criticality, signal?: AbortSignal, operation = this.operation): Promise<AdaptivePermit> {
    const now = this.tryAcquire(criticality);
    if (now !== undefined) return Promise.resolve(now);
    if (signal?.aborted) return Promise.reject(abortError(signal.reason));
    const rank = criticalityRank(criticality);
    if (this.closed) return Promise.reject(this.refusal(rank, 'closed', operation));
    if (this.config.maxWaitMs === 0 || this.config.queueSize === 0) return Promise.reject(this.refusal(rank, 'limit', operation));
    if (this.waiting >= this.config.queueSize && !this.evictBelow(rank)) return Promise.reject(this.refusal(rank, 'queue_full', operation));
    return this.queue.wait(rank, operation, this.config.maxWaitMs, signal);
  }

  /** Refuses every waiter and every later call (shutdown). */
  close(): void {
    this.closed = true;
    this.queue.refuseAll((waiterOperation, rank) => this.refusal(rank, 'closed', waiterOperation));
  }

  /** A hint of how long a refused caller should wait, in ms: the recent RTT (at least 1). */
  retryAfterMs(): number {
    return Math.max(1, Math.round(this.lastRttMs || 1000));
  }

  /** Plain JSON state. */
  snapshot(): AdaptiveLimitSnapshot {
    return {
      operation: this.operation,
      algorithm: this.algorithm.name,
      limit: this.limit,
      minLimit: this.config.minLimit,
      maxLimit: this.config.maxLimit,
      inFlight: this.inFlight,
      peakInFlight: this.peakInFlight,
      waiting: this.waiting,
      rttMs: Math.round(this.lastRttMs * 1000) / 1000,
      shed: countsByClass(this.shed),
    };
  }

  /** A permit's release: the RTT joins the window, a full window moves the limit, freed slots go to waiters. */
  finish(start: number, outcome: PermitOutcome): void {
    this.inFlight--;
    if (outcome !== 'ignore') {
      this.windowRtt += this.clock.monotonic() - start;
      this.windowDropped ||= outcome === 'dropped';
      if (++this.windowCount >= this.config.windowSamples) this.endWindow();
    }
    if (this.waiting > 0) this.drain();
  }

  private endWindow(): void {
    this.lastRttMs = this.windowRtt / this.windowCount;
    this.algorithm.update({ rttMs: this.lastRttMs, inFlight: this.windowInFlight, dropped: this.windowDropped });
    this.applyLimit();
    this.windowCount = 0;
    this.windowRtt = 0;
    this.windowDropped = false;
    this.windowInFlight = this.inFlight;
  }

  private applyLimit(): void {
    const limit = this.algorithm.limit;
    const { sheddable, sheddable_plus } = this.config.shares;
    this.allowed[3] = this.allowed[2] = limit;
    this.allowed[1] = Math.max(1, Math.floor(limit * sheddable_plus));
    this.allowed[0] = Math.min(this.allowed[1], Math.max(1, Math.floor(limit * sheddable)));
  }

  private admit(): AdaptivePermit {
    if (++this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
    if (this.inFlight > this.windowInFlight) this.windowInFlight = this.inFlight;
    return new AdaptivePermit(this, this.clock.monotonic());
  }

  private drain(): void {
    const queue = this.queue;
    for (let rank = 3; rank >= 0 && queue.size > 0; rank--) {
      for (let waiter = queue.head(rank); waiter !== undefined && this.inFlight < this.allowed[rank]!; waiter = queue.head(rank)) {
        queue.grant(waiter, this.admit());
      }
    }
  }

  /** Pushes out the least important waiter below `rank` (the one its class would serve last); false when none. */
  private evictBelow(rank: number): boolean {
    for (let r = 0; r < rank; r++) {
      const victim = this.queue.tail(r);
      if (victim !== undefined) return this.queue.refuse(victim, this.refusal(r, 'queue_full', victim.tag));
    }
    return false;
  }

  private refusal(rank: number, reason: OverloadReason, operation: string): OverloadedError {
    this.shed[rank]!++;
    const criticality = CRITICALITIES[rank]!;
    this.onShed?.(operation, criticality);
    return new OverloadedError(operation, criticality, reason, this.retryAfterMs());
  }
}
