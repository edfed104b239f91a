import { AwaitedTimers } from '../../internal/awaited-timers.js';
import { callWithTimeout, sleepUnlessAborted } from '../../internal/time.js';
import { reportInternalError } from '../../telemetry/internal-errors.js';
import type { AlertNotification } from './types.js';
import type { DeliveryStats } from '../snapshot.js';

export type { DeliveryStats } from '../snapshot.js';

/**
 * A receiver of alert notifications. `notify` should honour `signal` (the queue aborts it on timeout and
 * shutdown); throwing or rejecting counts as a failed attempt and is retried.
 */
export interface AlertNotifier {
  /** Name shown in `healthCheck()`. */
  readonly name: string;
  notify(alerts: readonly AlertNotification[], signal: AbortSignal): Promise<void>;
}

/** Delivery settings of one notifier. */
export interface DeliveryOptions {
  /** Per-attempt timeout. */
  readonly timeoutMs: number;
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  /** Alerts waiting at most; the oldest are dropped (and counted) beyond. */
  readonly maxQueue: number;
  /** First retry delay; doubles each retry, capped at 30 s. */
  readonly backoffMs?: number;
}

/**
 * Sends batches to one notifier, one at a time, with a timeout per attempt, retries with backoff, and a
 * bounded queue, so a dead or slow receiver neither blocks evaluation nor grows memory. Its timers do not
 * keep the process alive, except while a caller awaits {@link DeliveryQueue.idle} or {@link DeliveryQueue.close}.
 */
export class DeliveryQueue {
  private readonly queue: AlertNotification[][] = [];
  private queuedAlerts = 0;
  private inFlight = 0;
  private sent = 0;
  private failed = 0;
  private dropped = 0;
  private lastError: string | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private readonly stop = new AbortController();
  private readonly timers = new AwaitedTimers();

  constructor(
    readonly notifier: AlertNotifier,
    private readonly options: DeliveryOptions,
  ) {}

  /** Queues a batch; drops the oldest queued alerts when the queue is full. Never throws. */
  enqueue(alerts: readonly AlertNotification[]): void {
    if (this.closed || alerts.length === 0) return;
    let batch = alerts.slice();
    if (batch.length > this.options.maxQueue) {
      this.dropped += batch.length - this.options.maxQueue;
      batch = batch.slice(batch.length - this.options.maxQueue);
    }
    while (this.queuedAlerts + batch.length > this.options.maxQueue && this.queue.length > 0) {
      const oldest = this.queue.shift()!;
      this.queuedAlerts -= oldest.length;
      this.dropped += oldest.length;
    }
    this.queue.push(batch);
    this.queuedAlerts += batch.length;
    this.running ??= this.pump()
      .catch((error: unknown) => reportInternalError('alert_notifier', error))
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Resolves once the queue is empty and nothing is in flight; the delivery timers keep the process alive meanwhile. */
  async idle(): Promise<void> {
    while (this.running) await this.timers.hold(this.running);
  }

  /** Counters. */
  stats(): DeliveryStats {
    return {
      name: this.notifier.name,
      queued: this.queuedAlerts,
      inFlight: this.inFlight,
      sent: this.sent,
      failed: this.failed,
      dropped: this.dropped,
      lastError: this.lastError,
    };
  }

  /** Gives pending deliveries up to `graceMs` to finish, then aborts them and drops the rest. */
  close(graceMs = 0): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return this.timers.hold(this.drain(graceMs));
  }

  private async drain(graceMs: number): Promise<void> {
    if (this.running && graceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.running, new Promise<void>((r) => (timer = this.timers.setTimeout(r, graceMs)))]);
      this.timers.clearTimeout(timer);
    }
    this.stop.abort();
    this.dropped += this.queuedAlerts;
    this.queue.length = 0;
    this.queuedAlerts = 0;
    await this.running;
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0 && !this.stop.signal.aborted) {
      const batch = this.queue.shift()!;
      this.queuedAlerts -= batch.length;
      this.inFlight = batch.length;
      const ok = await this.deliver(batch);
      this.inFlight = 0;
      if (ok) this.sent += batch.length;
      else this.failed += batch.length;
    }
  }

  private async deliver(batch: AlertNotification[]): Promise<boolean> {
    const base = this.options.backoffMs ?? 500;
    for (let attempt = 0; attempt <= this.options.maxRetries; attempt++) {
      if (attempt > 0) {
        const delay = Math.min(30_000, base * 2 ** (attempt - 1));
        if (!(await sleepUnlessAborted(delay, this.stop.signal, this.timers))) return false;
      }
      try {
        await this.attempt(batch);
        return true;
      } catch (error) {
        this.lastError = error instanceof Error ? error.message : String(error);
        if (this.stop.signal.aborted) return false;
      }
    }
    return false;
  }

  // Settles on the notifier's answer, the timeout or shutdown, whichever comes first, so a notifier that
  // ignores its signal cannot hold the queue.
  private attempt(batch: AlertNotification[]): Promise<void> {
    const name = this.notifier.name;
    return callWithTimeout((signal) => this.notifier.notify(batch, signal), this.options.timeoutMs, {
      what: name,
      stop: this.stop.signal,
      stopError: () => new Error(`${name}: delivery stopped by shutdown`),
      timers: this.timers,
    });
  }
}
