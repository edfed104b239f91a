import type { Clock } from '../internal/time.js';
import { reportInternalError } from '../telemetry/internal-errors.js';

/** One pending deadline; the owner links it into a `DeadlineQueue` and is told when it expires. */
export interface DeadlineEntry {
  deadline: number;
  prev: DeadlineEntry | null;
  next: DeadlineEntry | null;
  /** Called once when the deadline passes while the entry is still queued. */
  expire(): void;
}

/**
 * The one deadline mechanism: the attempts' timeouts (one queue per operation) and the calls' wait deadlines
 * (`DeadlineSignal`, one queue per clock). Entries sit in deadline order behind a single timer that holds the
 * process open only while something is queued (callers await those entries, as they would their I/O); once
 * the queue is empty the timer is `unref()`ed. Entries mostly go at the tail (one fixed timeout per operation
 * keeps them sorted) and leave in O(1) when their work settles first, so the hot path costs a clock read and
 * two pointer writes instead of a timer and an AbortController per call.
 */
export class DeadlineQueue {
  private head: DeadlineEntry | null = null;
  private tail: DeadlineEntry | null = null;
  private timer: NodeJS.Timeout | undefined;
  private armedAt = 0;
  private size = 0;

  constructor(private readonly clock: Clock) {}

  /** Entries waiting. */
  get pending(): number {
    return this.size;
  }

  /**
   * Queues `entry` in deadline order. Attempts of one operation share a timeout, so an entry almost always
   * goes at the tail (O(1)); one cut short by its call's deadline walks back to its place.
   */
  add(entry: DeadlineEntry): void {
    let before = this.tail;
    while (before !== null && before.deadline > entry.deadline) before = before.prev;
    entry.prev = before;
    entry.next = before === null ? this.head : before.next;
    if (entry.next) entry.next.prev = entry;
    else this.tail = entry;
    if (before) before.next = entry;
    else this.head = entry;
    if (this.timer === undefined) this.arm(entry.deadline);
    else if (entry.deadline < this.armedAt) {
      // An earlier deadline than the timer's: it would fire too late.
      clearTimeout(this.timer);
      this.arm(entry.deadline);
    } else if (this.size === 0) this.timer.ref();
    this.size++;
  }

  /** Unlinks `entry` (its work settled before the deadline). Removing twice is harmless. */
  remove(entry: DeadlineEntry): void {
    if (entry.prev === null && this.head !== entry) return;
    if (entry.prev) entry.prev.next = entry.next;
    else this.head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.tail = entry.prev;
    entry.prev = entry.next = null;
    this.size--;
    // The timer stays armed for the old head and re-arms for the new one when it fires; while nothing is
    // queued it must not hold the process open (re-arming a timer per call would cost more than this).
    if (this.size === 0) this.timer?.unref();
  }

  /** Stops the timer; entries still queued never expire. */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(at: number): void {
    this.armedAt = at;
    this.timer = setTimeout(this.fire, Math.max(0, at - this.clock.monotonic()));
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    const now = this.clock.monotonic();
    let entry = this.head;
    while (entry !== null && entry.deadline <= now) {
      const next = entry.next;
      this.remove(entry);
      try {
        entry.expire();
      } catch (error) {
        // A timer callback: one entry's failure must neither end the process nor strand the entries after it.
        reportInternalError('error_recovery', error);
      }
      entry = next;
    }
    if (this.head !== null && this.timer === undefined) this.arm(this.head.deadline);
  };
}
