import { abortError } from '../errors.js';
import { createGuard, type Guard } from '../guard.js';
import { WaitQueue } from '../internal/wait-queue.js';

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
 * A counting semaphore whose permits are guards. Waiters queue in FIFO order in the library's
 * {@link WaitQueue}, so an aborted or timed-out waiter leaves in O(1) at once and never blocks the ones behind
 * it. A released permit goes straight to the first waiter; `tryAcquire` does not jump the queue.
 */
export class PermitPool {
  /** Permits held now. */
  inUse = 0;
  /** Most permits held at once. */
  peak = 0;
  /** Callers refused (no room, timeout, closed). */
  refused = 0;
  private readonly queue: WaitQueue<Guard>;
  private closed = false;

  constructor(private readonly options: PermitPoolOptions) {
    this.queue = new WaitQueue<Guard>({
      timeoutError: () => {
        this.refused++;
        return options.refuse('timeout');
      },
    });
  }

  /** Waiters now. */
  get waiting(): number {
    return this.queue.size;
  }

  /** Permit count. */
  get size(): number {
    return this.options.size;
  }

  /** A permit now, or undefined. */
  tryAcquire(): Guard | undefined {
    if (this.inUse >= this.options.size || this.queue.size > 0 || this.closed) return undefined;
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
    return this.queue.wait(0, undefined, this.options.timeoutMs, signal);
  }

  /** Refuses every waiter and every later request. */
  close(): void {
    this.closed = true;
    this.queue.refuseAll(() => {
      this.refused++;
      return this.options.refuse('closed');
    });
  }

  private refuse(reason: 'full' | 'closed'): Promise<never> {
    this.refused++;
    return Promise.reject(this.options.refuse(reason));
  }

  // Shared by every guard; each guard calls it at most once.
  private readonly release = (): void => {
    const waiter = this.queue.head();
    if (waiter === undefined || this.closed) {
      this.inUse--;
      return;
    }
    this.queue.grant(waiter, createGuard(this.release));
  };
}
