import { type BulkheadPolicy, bulkhead } from 'cockatiel';
import { BulkheadRejectedError, abortError } from '../../errors.js';
import type { BulkheadConfig } from '../config.js';
import { raceAbort } from '../../internal/time.js';

const never = new AbortController().signal;

/**
 * One operation's bulkhead on cockatiel's `BulkheadPolicy`, without its queue stall: cockatiel 3.2.1 keeps an
 * aborted item queued and, when its turn comes, rejects it without starting the next one. Here cockatiel
 * never sees the caller's signal; an aborted caller is released at once, and its queued turn, when it
 * comes, returns immediately and hands the slot on.
 */
export class Bulkhead {
  private readonly policy: BulkheadPolicy;

  constructor(
    readonly operation: string,
    readonly config: BulkheadConfig,
  ) {
    this.policy = bulkhead(config.maxConcurrent, config.maxQueue);
  }

  /** Free execution slots. */
  get executionSlots(): number {
    return this.policy.executionSlots;
  }

  /** Free queue places. */
  get queueSlots(): number {
    return this.policy.queueSlots;
  }

  /** Runs `fn` in a slot, queues it, or throws BULKHEAD_REJECTED. */
  execute<T>(fn: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    // Refusing here, before cockatiel, saves translating its error on every call's promise chain.
    if (this.policy.executionSlots <= 0 && this.policy.queueSlots <= 0) {
      return Promise.reject(new BulkheadRejectedError(this.operation));
    }
    if (signal === undefined) return this.policy.execute(fn, never);
    if (signal.aborted) return Promise.reject(abortError(signal.reason));
    const run = this.policy.execute(() => (signal.aborted ? Promise.reject(abortError(signal.reason)) : fn()), never);
    return raceAbort(run, signal, (reason) => abortError(reason));
  }
}
