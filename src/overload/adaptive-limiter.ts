import { OverloadedError, abortError, type Criticality, type OverloadReason } from '../errors.js';
import type { Guard } from '../guard.js';
import { awaitedTimers, onAbort, type Clock } from '../internal/time.js';
import { AimdLimit, Gradient2Limit, type LimitAlgorithm } from './algorithms.js';
import type { AdaptiveConcurrencyConfig } from './config.js';
import { CRITICALITIES, countsByClass, criticalityRank, type CountsByClass } from './criticality.js';

/** How a call held under an adaptive limit ended, as the limit learns from it. */
export type PermitOutcome =
  /** It finished (success, or a failure whose latency is real): its RTT is a sample. */
  | 'success'
  /** It timed out or was refused downstream as overloaded: the limit backs off. */
  | 'dropped'
  /** Its latency says nothing about load (it failed fast): not sampled. */
  | 'ignore';

interface Waiter {
  readonly rank: number;
  readonly operation: string;
  readonly resolve: (permit: AdaptivePermit) => void;
  readonly reject: (error: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  aborted: Guard | undefined;
  prev: Waiter | undefined;
  next: Waiter | undefined;
}

/** One class's waiters, a doubly linked list: a waiter that leaves (timeout, abort) does so in O(1). */
class WaitList {
  head: Waiter | undefined;
  tail: Waiter | undefined;

  /** Adds at the tail (FIFO) or the head (LIFO); the head is served first. */
  add(waiter: Waiter, lifo: boolean): void {
    if (this.head === undefined) this.head = this.tail = waiter;
    else if (lifo) {
      waiter.next = this.head;
      this.head.prev = waiter;
      this.head = waiter;
    } else {
      waiter.prev = this.tail;
      this.tail!.next = waiter;
      this.tail = waiter;
    }
  }

  /** Unlinks `waiter`; false when it was no longer here. */
  remove(waiter: Waiter): boolean {
    if (waiter.prev !== undefined) waiter.prev.next = waiter.next;
    else if (this.head === waiter) this.head = waiter.next;
    else return false;
    if (waiter.next !== undefined) waiter.next.prev = waiter.prev;
    else this.tail = waiter.prev;
    waiter.prev = waiter.next = undefined;
    return true;
  }
}

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

/** Plain JSON state of one adaptive limit. */
export interface AdaptiveLimitSnapshot {
  /** The operation it guards, or `*` for the global limit. */
  readonly operation: string;
  readonly algorithm: string;
  readonly limit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  readonly inFlight: number;
  readonly peakInFlight: number;
  readonly waiting: number;
  /** Mean RTT of the last window, in ms (0 before the first). */
  readonly rttMs: number;
  /** Calls shed by this limit, by class. */
  readonly shed: CountsByClass;
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
  /** Calls waiting for a slot. */
  waiting = 0;
  /** Calls refused, by class rank (0 `sheddable` to 3 `critical_plus`). */
  readonly shed = [0, 0, 0, 0];
  private readonly algorithm: LimitAlgorithm;
  private readonly lists = [new WaitList(), new WaitList(), new WaitList(), new WaitList()];
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
  }

  /** The current limit. */
  get limit(): number {
    return this.algorithm.limit;
  }

  /** A slot now, or undefined when the class's share is full or as important a call already waits. */
  tryAcquire(criticality: Criticality): AdaptivePermit | undefined {
    const rank = criticalityRank(criticality);
    if (this.closed || this.inFlight >= this.allowed[rank]! || (this.waiting > 0 && this.waitingAtOrAbove(rank))) return undefined;
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
    return new Promise<AdaptivePermit>((resolve, reject) => {
      const waiter: Waiter = {
        rank,
        operation,
        resolve,
        reject,
        timer: undefined,
        aborted: undefined,
        prev: undefined,
        next: undefined,
      };
      this.lists[rank]!.add(waiter, this.config.queueOrder === 'lifo');
      this.waiting++;
      // Ref'd (awaited): the caller awaits this wait.
      waiter.timer = awaitedTimers.setTimeout(() => {
        if (this.unlink(waiter)) reject(this.refusal(rank, 'queue_timeout', operation));
      }, this.config.maxWaitMs);
      if (signal !== undefined) {
        waiter.aborted = onAbort(signal, (reason) => {
          if (this.unlink(waiter)) reject(abortError(reason));
        });
      }
    });
  }

  /** Refuses every waiter and every later call (shutdown). */
  close(): void {
    this.closed = true;
    for (let rank = 0; rank < 4; rank++) {
      for (let w = this.lists[rank]!.head; w !== undefined; w = this.lists[rank]!.head) {
        this.unlink(w);
        w.reject(this.refusal(rank, 'closed', w.operation));
      }
    }
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
    for (let rank = 3; rank >= 0 && this.waiting > 0; rank--) {
      const list = this.lists[rank]!;
      while (list.head !== undefined && this.inFlight < this.allowed[rank]!) {
        const waiter = list.head;
        this.unlink(waiter);
        waiter.resolve(this.admit());
      }
    }
  }

  private waitingAtOrAbove(rank: number): boolean {
    for (let r = rank; r < 4; r++) if (this.lists[r]!.head !== undefined) return true;
    return false;
  }

  /** Pushes out the least important waiter below `rank` (the one its list would serve last); false when none. */
  private evictBelow(rank: number): boolean {
    for (let r = 0; r < rank; r++) {
      const victim = this.lists[r]!.tail;
      if (victim === undefined) continue;
      this.unlink(victim);
      victim.reject(this.refusal(r, 'queue_full', victim.operation));
      return true;
    }
    return false;
  }

  private unlink(waiter: Waiter): boolean {
    awaitedTimers.clearTimeout(waiter.timer);
    waiter.aborted?.release();
    waiter.timer = undefined;
    waiter.aborted = undefined;
    if (!this.lists[waiter.rank]!.remove(waiter)) return false;
    this.waiting--;
    return true;
  }

  private refusal(rank: number, reason: OverloadReason, operation: string): OverloadedError {
    this.shed[rank]!++;
    const criticality = CRITICALITIES[rank]!;
    this.onShed?.(operation, criticality);
    return new OverloadedError(operation, criticality, reason, this.retryAfterMs());
  }
}
