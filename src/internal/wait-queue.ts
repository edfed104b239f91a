import { abortError } from '../errors.js';
import type { Guard } from '../guard.js';
import { awaitedTimers, onAbort, type Timers } from './time.js';

/** Which waiter of one priority is served first: the oldest (FIFO) or the newest (LIFO). */
export type WaitOrder = 'fifo' | 'lifo';

/** One caller waiting in a {@link WaitQueue}: a node of its priority's doubly linked list. */
export interface Waiter<V, T> {
  /** 0 (least important) to `priorities - 1`. */
  readonly priority: number;
  /** What the owner needs to know about the waiter (its operation, for a refusal). */
  readonly tag: T;
  /** @internal */ resolve: (value: V) => void;
  /** @internal */ reject: (error: unknown) => void;
  /** @internal */ timer: NodeJS.Timeout | undefined;
  /** @internal */ aborted: Guard | undefined;
  /** @internal */ prev: Waiter<V, T> | undefined;
  /** @internal */ next: Waiter<V, T> | undefined;
  /** @internal */ queued: boolean;
}

/** Settings of a {@link WaitQueue}. */
export interface WaitQueueOptions<T> {
  /** Priority levels (default 1): a higher one is served first ({@link WaitQueue.first}). */
  readonly priorities?: number;
  /** FIFO or LIFO within a priority (default FIFO); read on every wait, so it may change. */
  readonly order?: () => WaitOrder;
  /** The error a waiter whose wait timed out is rejected with (the owner counts the refusal here). */
  readonly timeoutError: (tag: T, priority: number) => unknown;
  /** Timers of the waits; default ref'd ones (a caller awaits each wait). */
  readonly timers?: Timers;
}

/**
 * The wait queue of every stage that makes callers wait (the operation permit, the adaptive limit, the
 * bulkhead): per priority a doubly linked list, so a waiter that leaves (timeout, abort, eviction) does so in
 * O(1) at once and never blocks the ones behind it; a timer per waiter (ref'd: the caller awaits it); an abort
 * signal per waiter, rejected with ABORTED (or the signal's own production error, e.g. DEADLINE_EXCEEDED).
 * The owner bounds it (it refuses before {@link WaitQueue.wait} when full) and decides whom to serve.
 */
export class WaitQueue<V, T = undefined> {
  /** Waiters now. */
  size = 0;
  private readonly heads: (Waiter<V, T> | undefined)[];
  private readonly tails: (Waiter<V, T> | undefined)[];
  private readonly timers: Timers;

  constructor(private readonly options: WaitQueueOptions<T>) {
    const levels = options.priorities ?? 1;
    this.heads = new Array<Waiter<V, T> | undefined>(levels).fill(undefined);
    this.tails = new Array<Waiter<V, T> | undefined>(levels).fill(undefined);
    this.timers = options.timers ?? awaitedTimers;
  }

  /**
   * Waits at `priority` until the owner grants a value or refuses, at most `timeoutMs` (Infinity: no timer)
   * and until `signal` aborts. The caller checks `signal.aborted` and the bound first.
   */
  wait(priority: number, tag: T, timeoutMs: number, signal?: AbortSignal): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const waiter: Waiter<V, T> = {
        priority,
        tag,
        resolve,
        reject,
        timer: undefined,
        aborted: undefined,
        prev: undefined,
        next: undefined,
        queued: true,
      };
      this.link(waiter, this.options.order?.() === 'lifo');
      if (Number.isFinite(timeoutMs)) {
        waiter.timer = this.timers.setTimeout(() => {
          if (this.unlink(waiter)) reject(this.options.timeoutError(tag, priority));
        }, timeoutMs);
      }
      if (signal !== undefined) {
        waiter.aborted = onAbort(signal, (reason) => {
          if (this.unlink(waiter)) reject(abortError(reason));
        });
      }
    });
  }

  /** The waiter `priority` serves next, if any. */
  head(priority = 0): Waiter<V, T> | undefined {
    return this.heads[priority];
  }

  /** The waiter `priority` would serve last (the one to evict), if any. */
  tail(priority = 0): Waiter<V, T> | undefined {
    return this.tails[priority];
  }

  /** The waiter served next over every priority (the highest first). */
  first(): Waiter<V, T> | undefined {
    for (let p = this.heads.length - 1; p >= 0; p--) if (this.heads[p] !== undefined) return this.heads[p];
    return undefined;
  }

  /** True when a waiter of `priority` or higher waits. */
  waitingAtOrAbove(priority: number): boolean {
    for (let p = priority; p < this.heads.length; p++) if (this.heads[p] !== undefined) return true;
    return false;
  }

  /** Takes `waiter` out of the queue and resolves it with `value`; false when it had already left. */
  grant(waiter: Waiter<V, T>, value: V): boolean {
    if (!this.unlink(waiter)) return false;
    waiter.resolve(value);
    return true;
  }

  /** Takes `waiter` out of the queue and rejects it with `error`; false when it had already left. */
  refuse(waiter: Waiter<V, T>, error: unknown): boolean {
    if (!this.unlink(waiter)) return false;
    waiter.reject(error);
    return true;
  }

  /** Refuses every waiter, each with `error(tag, priority)` (shutdown). */
  refuseAll(error: (tag: T, priority: number) => unknown): void {
    for (let p = 0; p < this.heads.length; p++) {
      for (let w = this.heads[p]; w !== undefined; w = this.heads[p]) this.refuse(w, error(w.tag, p));
    }
  }

  private link(waiter: Waiter<V, T>, lifo: boolean): void {
    const p = waiter.priority;
    const head = this.heads[p];
    if (head === undefined) {
      this.heads[p] = this.tails[p] = waiter;
    } else if (lifo) {
      waiter.next = head;
      head.prev = waiter;
      this.heads[p] = waiter;
    } else {
      const tail = this.tails[p]!;
      waiter.prev = tail;
      tail.next = waiter;
      this.tails[p] = waiter;
    }
    this.size++;
  }

  private unlink(waiter: Waiter<V, T>): boolean {
    if (!waiter.queued) return false;
    waiter.queued = false;
    this.timers.clearTimeout(waiter.timer);
    waiter.aborted?.release();
    waiter.timer = undefined;
    waiter.aborted = undefined;
    const p = waiter.priority;
    if (waiter.prev !== undefined) waiter.prev.next = waiter.next;
    else this.heads[p] = waiter.next;
    if (waiter.next !== undefined) waiter.next.prev = waiter.prev;
    else this.tails[p] = waiter.prev;
    waiter.prev = waiter.next = undefined;
    this.size--;
    return true;
  }
}
