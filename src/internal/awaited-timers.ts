import type { Timers } from './time.js';

/**
 * Timers of background work that a caller may also await (a health check's timeout, a notifier's retry
 * backoff). Left alone they are `unref()`ed, so background work never keeps the process alive; while a
 * caller holds them through {@link AwaitedTimers.hold}, every one of them (present and future) is ref'd,
 * because an awaited timer that lets the process exit ends a script with an unsettled promise (exit code 13).
 */
export class AwaitedTimers implements Timers {
  private readonly timers = new Set<NodeJS.Timeout>();
  private holders = 0;

  /** Timers pending now. */
  get size(): number {
    return this.timers.size;
  }

  /** True while a caller holds the timers. */
  get held(): boolean {
    return this.holders > 0;
  }

  /** `setTimeout`, ref'd only while held. */
  setTimeout(fn: () => void, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    if (this.holders === 0) timer.unref();
    this.timers.add(timer);
    return timer;
  }

  /** Cancels a timer made by {@link AwaitedTimers.setTimeout}. */
  clearTimeout(timer: NodeJS.Timeout | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  /** Keeps every timer ref'd until `work` settles, and returns it. */
  async hold<T>(work: Promise<T>): Promise<T> {
    if (++this.holders === 1) for (const timer of this.timers) timer.ref();
    try {
      return await work;
    } finally {
      if (--this.holders === 0) for (const timer of this.timers) timer.unref();
    }
  }
}
