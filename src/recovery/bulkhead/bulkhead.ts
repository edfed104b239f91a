import { BulkheadRejectedError, abortError } from '../../errors.js';
import { WaitQueue } from '../../internal/wait-queue.js';
import type { BulkheadConfig } from '../config.js';

/**
 * One operation's bulkhead: at most `maxConcurrent` attempts at once and `maxQueue` waiting, on the library's
 * {@link WaitQueue} (FIFO). A waiter that aborts leaves the queue at once and never holds up the ones behind it
 * (cockatiel 3.2.1's bulkhead kept an aborted item queued and, on its turn, did not start the next one). A slot
 * freed goes straight to the first waiter, so a call arriving in between cannot take it.
 */
export class Bulkhead {
  private running = 0;
  private readonly queue = new WaitQueue<undefined>({
    // No timer: a queued attempt waits for a slot, its call's deadline or its caller's abort.
    timeoutError: () => new BulkheadRejectedError(this.operation),
  });

  constructor(
    readonly operation: string,
    readonly config: BulkheadConfig,
  ) {}

  /** Free execution slots. */
  get executionSlots(): number {
    return this.config.maxConcurrent - this.running;
  }

  /** Free queue places. */
  get queueSlots(): number {
    return this.config.maxQueue - this.queue.size;
  }

  /** Runs `fn` in a slot, queues it, or rejects with BULKHEAD_REJECTED (ABORTED when `signal` fires while queued). */
  execute<T>(fn: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (this.running < this.config.maxConcurrent) {
      this.running++;
      return this.run(fn);
    }
    if (this.queue.size >= this.config.maxQueue) return Promise.reject(new BulkheadRejectedError(this.operation));
    if (signal?.aborted) return Promise.reject(abortError(signal.reason));
    // Granted with the slot of the attempt that finished: `running` is not counted again.
    return this.queue.wait(0, undefined, Infinity, signal).then(() => this.run(fn));
  }

  private run<T>(fn: () => Promise<T>): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = fn();
    } catch (error) {
      pending = Promise.reject(error);
    }
    return pending.then(this.done as (value: T) => T, this.failed);
  }

  /** Hands the slot to the first waiter, or frees it. */
  private release(): void {
    const waiter = this.queue.head();
    if (waiter === undefined) this.running--;
    else this.queue.grant(waiter, undefined);
  }

  // Shared by every call: no closure per attempt.
  private readonly done = (value: unknown): unknown => {
    this.release();
    return value;
  };

  private readonly failed = (error: unknown): never => {
    this.release();
    throw error;
  };
}
