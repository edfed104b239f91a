import { abortError } from '../errors.js';
import { createGuard, type Guard } from '../guard.js';
import { awaitedTimers, onAbort } from '../internal/time.js';

interface Waiter {
  resolve: (guard: Guard) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  /** Removes the waiter's abort listener. */
  aborted: Guard | undefined;
  prev: Waiter | undefined;
  next: Waiter | undefined;
}

/** Settings of a {@link PermitPool}. */
export interface PermitPoolOptions {
  /** Permits. */
  size: number;
  /** Callers that may wait at once. */
  queueSize: number;
  /** Longest wait; 0 refuses at once when none is free. */
  timeoutMs: number;
  /** The error for a caller that gets no permit (no room, timeout, closed). */
  refuse: (reason: 'full' | 'timeout' | 'closed') => Error;
}

/**
 * A counting semaphore whose permits are guards. Waiters queue in FIFO order in a linked list, so an aborted
 * or timed-out waiter leaves in O(1) at once and never blocks the ones behind it. A released permit goes
 * straight to the first waiter; `tryAcquire` does not jump the queue.
 */
export class PermitPool {
  /** Permits held now. */
  inUse = 0;
  /** Most permits held at once. */
  peak = 0;
  /** Callers refused (no room, timeout, closed). */
  refused = 0;
  /** Waiters now. */
  waiting = 0;
  private head: Waiter | undefined;
  private tail: Waiter | undefined;
  private closed = false;

  constructor(private readonly options: PermitPoolOptions) {}

  /** Permit count. */
  get size(): number {
    return this.options.size;
  }

  /** A permit now, or undefined. */
  tryAcquire(): Guard | undefined {
    if (this.inUse >= this.options.size || this.head !== undefined || this.closed) return undefined;
    if (++this.inUse > this.peak) this.peak = this.inUse;
    return createGuard(this.release);
  }

  /** A permit, waiting up to the timeout; rejects with the pool's error, or ABORTED when `signal` fires. */
  acquire(signal?: AbortSignal): Promise<Guard> {
    const now = this.tryAcquire();
    if (now !== undefined) return Promise.resolve(now);
    if (signal?.aborted) return Promise.reject(abortError(signal.reason));
    if (this.closed) return this.refuse('closed');
    if (this.options.timeoutMs === 0 || this.waiting >= this.options.queueSize) return this.refuse('full');
    return new Promise<Guard>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined, aborted: undefined, prev: this.tail, next: undefined };
      if (this.tail === undefined) this.head = waiter;
      else this.tail.next = waiter;
      this.tail = waiter;
      this.waiting++;
      // Ref'd (awaited): the caller awaits this wait, and an unref'd timer would let the process exit under it.
      waiter.timer = awaitedTimers.setTimeout(() => {
        this.unlink(waiter);
        this.refused++;
        reject(this.options.refuse('timeout'));
      }, this.options.timeoutMs);
      if (signal !== undefined) {
        waiter.aborted = onAbort(signal, (reason) => {
          this.unlink(waiter);
          reject(abortError(reason));
        });
      }
    });
  }

  /** Refuses every waiter and every later request. */
  close(): void {
    this.closed = true;
    while (this.head !== undefined) {
      const waiter = this.head;
      this.unlink(waiter);
      this.refused++;
      waiter.reject(this.options.refuse('closed'));
    }
  }

  private refuse(reason: 'full' | 'closed'): Promise<never> {
    this.refused++;
    return Promise.reject(this.options.refuse(reason));
  }

  private unlink(waiter: Waiter): void {
    awaitedTimers.clearTimeout(waiter.timer);
    waiter.aborted?.release();
    waiter.timer = undefined;
    waiter.aborted = undefined;
    if (waiter.prev !== undefined) waiter.prev.next = waiter.next;
    else if (this.head === waiter) this.head = waiter.next;
    else return;
    if (waiter.next !== undefined) waiter.next.prev = waiter.prev;
    else this.tail = waiter.prev;
    waiter.prev = waiter.next = undefined;
    this.waiting--;
  }

  // Shared by every guard; each guard calls it at most once.
  private readonly release = (): void => {
    const waiter = this.head;
    if (waiter === undefined || this.closed) {
      this.inUse--;
      return;
    }
    this.unlink(waiter);
    waiter.resolve(createGuard(this.release));
  };
}
