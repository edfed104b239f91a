import { backgroundTimers, type Clock, type Timers } from '../../internal/time.js';
import { reportInternalError } from '../../telemetry/internal-errors.js';
import type { SlowCallConfig } from './config.js';

/** Buckets of the sliding window of finished calls. */
const BUCKETS = 10;

/** The breaker a slow-call monitor opens: `CircuitBreaker.isolate()` holds it open until disposed. */
export interface IsolatableBreaker {
  isClosed(): boolean;
  isolate(): Disposable;
}

/** A call in flight: a node of the FIFO list (by start), unlinked in O(1) when it ends. */
interface InFlight {
  readonly start: number;
  slow: boolean;
  prev: InFlight | undefined;
  next: InFlight | undefined;
}

/**
 * Slow-call rate of one operation's calls to its dependency. Finished calls sit in a ring of time buckets;
 * calls in flight sit in a list in start order, and one timer marks the oldest unmarked one slow when it
 * passes the threshold, so the rate rises while the slow calls are still hanging. When the rate reaches
 * `rateThreshold` over at least `minimumCalls`, the breaker is held open for `openForMs`, then let go
 * (a dependency still hanging opens it again at once: its calls in flight are still slow).
 */
export class SlowCallMonitor {
  /** Times the monitor opened the breaker, since start. */
  opened = 0;
  private readonly finished = new Float64Array(BUCKETS);
  private readonly finishedSlow = new Float64Array(BUCKETS);
  private finishedSum = 0;
  private finishedSlowSum = 0;
  private bucket: number;
  private readonly bucketMs: number;
  private tail: InFlight | undefined;
  /** The oldest call in flight not yet marked slow: the one the timer waits for. */
  private nextToMark: InFlight | undefined;
  private inFlightSlow = 0;
  private timer: NodeJS.Timeout | undefined;
  private isolation: Disposable | undefined;
  private releaseTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    readonly config: SlowCallConfig,
    private readonly breaker: IsolatableBreaker,
    private readonly openForMs: number,
    private readonly clock: Clock,
    private readonly timers: Timers = backgroundTimers,
  ) {
    this.bucketMs = config.windowMs / BUCKETS;
    this.bucket = Math.floor(clock.monotonic() / this.bucketMs);
  }

  /** Slow calls (finished in the window, and in flight past the threshold) over all of those counted. */
  rate(): { slow: number; calls: number } {
    this.advance();
    return { slow: this.finishedSlowSum + this.inFlightSlow, calls: this.finishedSum + this.inFlightSlow };
  }

  /** Counts `pending` from now until it settles; returns it as it is. */
  track<T>(pending: Promise<T>): Promise<T> {
    const entry: InFlight = { start: this.clock.monotonic(), slow: false, prev: this.tail, next: undefined };
    if (this.tail !== undefined) this.tail.next = entry;
    this.tail = entry;
    if (this.nextToMark === undefined) {
      this.nextToMark = entry;
      this.schedule();
    }
    const end = (): void => this.end(entry);
    pending.then(end, end);
    return pending;
  }

  /** Stops the timers and lets the breaker go. */
  stop(): void {
    this.stopped = true;
    this.timers.clearTimeout(this.timer);
    this.timers.clearTimeout(this.releaseTimer);
    this.isolation?.[Symbol.dispose]();
    this.isolation = undefined;
  }

  private end(entry: InFlight): void {
    if (entry === this.nextToMark) this.nextToMark = entry.next;
    if (entry.prev !== undefined) entry.prev.next = entry.next;
    if (entry.next === undefined) this.tail = entry.prev;
    else entry.next.prev = entry.prev;
    const slow = entry.slow || this.clock.monotonic() - entry.start >= this.config.thresholdMs;
    if (entry.slow) this.inFlightSlow--;
    this.advance();
    const i = this.bucket % BUCKETS;
    this.finished[i]!++;
    this.finishedSum++;
    if (slow) {
      this.finishedSlow[i]!++;
      this.finishedSlowSum++;
    }
    if (this.nextToMark === undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.evaluate();
  }

  private schedule(): void {
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    const entry = this.nextToMark;
    if (entry === undefined || this.stopped) return;
    const wait = Math.max(0, entry.start + this.config.thresholdMs - this.clock.monotonic());
    this.timer = this.timers.setTimeout(() => this.markSlow(), wait);
  }

  /** The timer fired: every call in flight past the threshold counts as slow now. */
  private markSlow(): void {
    try {
      const now = this.clock.monotonic();
      let entry = this.nextToMark;
      while (entry !== undefined && now - entry.start >= this.config.thresholdMs) {
        entry.slow = true;
        this.inFlightSlow++;
        entry = entry.next;
      }
      this.nextToMark = entry;
      this.evaluate();
      this.schedule();
    } catch (error) {
      reportInternalError('error_recovery', error);
    }
  }

  private evaluate(): void {
    if (this.isolation !== undefined || this.stopped || !this.breaker.isClosed()) return;
    const { slow, calls } = this.rate();
    if (calls < this.config.minimumCalls || slow < this.config.rateThreshold * calls) return;
    this.opened++;
    this.isolation = this.breaker.isolate();
    this.releaseTimer = this.timers.setTimeout(() => this.release(), this.openForMs);
  }

  /** The open time is over: let calls through again, judged on a fresh window of finished calls. */
  private release(): void {
    this.releaseTimer = undefined;
    this.finished.fill(0);
    this.finishedSlow.fill(0);
    this.finishedSum = this.finishedSlowSum = 0;
    const isolation = this.isolation;
    this.isolation = undefined;
    try {
      isolation?.[Symbol.dispose]();
    } catch (error) {
      reportInternalError('error_recovery', error);
    }
    this.evaluate();
  }

  private advance(): void {
    const now = Math.floor(this.clock.monotonic() / this.bucketMs);
    if (now <= this.bucket) return;
    for (let b = this.bucket + 1, last = Math.min(now, this.bucket + BUCKETS); b <= last; b++) {
      const i = b % BUCKETS;
      this.finishedSum -= this.finished[i]!;
      this.finishedSlowSum -= this.finishedSlow[i]!;
      this.finished[i] = 0;
      this.finishedSlow[i] = 0;
    }
    this.bucket = now;
  }
}
