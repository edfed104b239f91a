import type { Guard } from '../guard.js';
import { telemetryHub } from '../monitoring/hub.js';
import type { MetricSnapshot } from '../monitoring/snapshot.js';
import { reportInternalError } from '../telemetry/internal-errors.js';

/** Counters of the alert collection schedule. */
export interface AlertScheduleStats {
  /** Current interval; undefined while no monitor is subscribed. */
  readonly intervalMs: number | undefined;
  readonly collections: number;
  readonly skippedOverlaps: number;
  readonly collectionErrors: number;
  readonly subscriberErrors: number;
  readonly lastCollectionAt: number | undefined;
  readonly lastCollectionMs: number | undefined;
}

/**
 * The reader's own collection interval for alert evaluation: an `unref()`ed timer at the smallest interval
 * the subscribed monitors ask for (or a fixed one), running only while someone is subscribed, never
 * overlapping two collections.
 */
export class AlertSchedule {
  private timer: NodeJS.Timeout | undefined;
  private currentInterval: number | undefined;
  private changes: Guard | undefined;
  private running = false;
  private stopped = false;
  private collections = 0;
  private skippedOverlaps = 0;
  private collectionErrors = 0;
  private subscriberErrors = 0;
  private lastCollectionAt: number | undefined;
  private lastCollectionMs: number | undefined;

  constructor(
    private readonly collect: () => Promise<MetricSnapshot>,
    private readonly fixedIntervalMs: number | undefined,
  ) {}

  /** Starts following the hub's subscribers. */
  start(): void {
    if (this.stopped || this.changes) return;
    this.changes = telemetryHub.onChange(() => this.schedule());
    this.schedule();
  }

  /** Stops the timer for good. */
  stop(): void {
    this.stopped = true;
    this.changes?.release();
    this.clear();
  }

  /** Collects once and hands the snapshot to every subscriber. */
  async tick(): Promise<void> {
    if (this.running) {
      this.skippedOverlaps++;
      return;
    }
    this.running = true;
    const started = performance.now();
    try {
      const snapshot = await this.collect();
      for (const subscriber of telemetryHub.subscribers()) {
        try {
          subscriber.onSnapshot(snapshot);
        } catch (error) {
          this.subscriberErrors++;
          reportInternalError('alert_evaluation', error);
        }
      }
      this.collections++;
      this.lastCollectionAt = snapshot.timestamp;
    } catch (error) {
      this.collectionErrors++;
      reportInternalError('alert_evaluation', error);
    } finally {
      this.lastCollectionMs = performance.now() - started;
      this.running = false;
    }
  }

  stats(): AlertScheduleStats {
    return {
      intervalMs: this.currentInterval,
      collections: this.collections,
      skippedOverlaps: this.skippedOverlaps,
      collectionErrors: this.collectionErrors,
      subscriberErrors: this.subscriberErrors,
      lastCollectionAt: this.lastCollectionAt,
      lastCollectionMs: this.lastCollectionMs,
    };
  }

  private schedule(): void {
    if (this.stopped) return;
    const subscribers = telemetryHub.subscribers();
    let wanted: number | undefined;
    if (subscribers.size > 0) {
      wanted = this.fixedIntervalMs;
      if (wanted === undefined) for (const s of subscribers) wanted = wanted === undefined ? s.intervalMs : Math.min(wanted, s.intervalMs);
    }
    if (wanted === this.currentInterval) return;
    this.clear();
    this.currentInterval = wanted;
    if (wanted === undefined) return;
    this.timer = setInterval(() => void this.tick(), wanted);
    this.timer.unref();
  }

  private clear(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.currentInterval = undefined;
  }
}
