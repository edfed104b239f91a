import { OverloadedError, type Criticality } from '../errors.js';
import { performance } from 'node:perf_hooks';
import { hotPathClock, type Clock } from '../internal/time.js';
import { guarded } from '../telemetry/internal-errors.js';
import type { QueueDelayConfig } from './config.js';
import type { QueueDelaySnapshot } from './snapshot.js';

export type { QueueDelaySnapshot } from './snapshot.js';
import { ClassShare } from './class-share.js';

/**
 * How late the event loop runs, read per call. A timer is due every `probeMs`; when it fires late, the lateness
 * is how long the loop's last turn kept every other callback (a socket read, a request's next chunk) waiting.
 */
export interface LoopLag {
  /**
   * The queue delay a callback running now has seen, in ms: how far past due the probe is when it has not fired
   * yet (the current turn is at least that long), else the lateness of its last firing.
   */
  lagMs(now: number): number;
  /** Starts the probe (unref'd). */
  start(): void;
  /** Stops it. */
  stop(): void;
}

/** Time the event loop has spent outside its poll for I/O since the process started, in ms. */
export type ActiveClock = () => number;

const loopActiveMs: ActiveClock = () => performance.eventLoopUtilization().active;

/**
 * The probe of {@link LoopLag} on this process's event loop: one unref'd timer every `probeMs`, never per call.
 * Its lateness is weighted by the loop's utilisation over the same span (`performance.eventLoopUtilization`):
 * on a machine shared with other work, a loop that sat idle waiting for I/O and then waited for a CPU was late
 * through no call of its own, and refusing calls would not make it earlier; a loop busy running its own
 * callbacks (on a CPU or waiting for one) is late by its own queue, which refusing calls shortens.
 */
export class LoopLagProbe implements LoopLag {
  private due = 0;
  private last = 0;
  private armedAt = 0;
  private armedActive = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly probeMs: number,
    private readonly clock: Clock = hotPathClock,
    private readonly activeMs: ActiveClock = loopActiveMs,
  ) {}

  lagMs(now: number): number {
    if (this.timer === undefined || now <= this.due) return this.last;
    // Overdue: weighted by the utilisation since the probe was armed, which includes the turn running now. The
    // previous span's share would be stale exactly when it matters: a loop idle between bursts (share near 0)
    // that a burst of requests now holds would read near 0 for the whole burst and admit all of it.
    const wall = now - this.armedAt;
    const share = Math.min(1, Math.max(0, (this.activeMs() - this.armedActive) / wall));
    const late = (now - this.due) * share;
    return late > this.last ? late : this.last;
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.schedule(this.clock.monotonic(), this.activeMs());
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(now: number, active: number): void {
    this.due = now + this.probeMs;
    this.armedAt = now;
    this.armedActive = active;
    this.timer = setTimeout(this.fire, this.probeMs);
    this.timer.unref();
  }

  // A timer callback: it only reads the clocks and re-arms itself.
  private readonly fire = (): void => {
    const now = this.clock.monotonic();
    const active = this.activeMs();
    const wall = now - this.armedAt;
    const share = wall > 0 ? Math.min(1, Math.max(0, (active - this.armedActive) / wall)) : 1;
    this.last = Math.max(0, now - this.due) * share;
    this.schedule(now, active);
  };
}

/** `burstMs` times these, by class rank: a burst is cut lowest class first. */
const BURST_FACTORS = [0.5, 0.75, 1, 2];

const round = (n: number): number => Math.round(n * 1000) / 1000;

/**
 * Proportional shedding on the time calls wait before they run (CoDel's sojourn time, not the queue's length).
 * Every call reports the loop lag it saw; each `intervalMs` their mean is the interval's queue delay. A
 * controller moves the share of calls to refuse by `gain x (delay - target) / target` per interval, so the share
 * follows the excess and settles where the delay sits at the target, and falls back to zero within about
 * `1 / gain` intervals once the delay is gone. The share is taken from the lowest class first, by the classes'
 * recent arrivals (`ClassShare`). Within an interval, a call that meets a delay over `burstMs` (by class)
 * is refused whatever the share, while some share is refused and once no lower class is left to refuse first: a
 * burst read in one loop turn is cut where its queue would pass the budget.
 */
export class QueueDelayControl {
  private readonly share: ClassShare;
  private readonly burstByRank: readonly number[];
  private delaySum = 0;
  private judged = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: QueueDelayConfig,
    private readonly lag: LoopLag = new LoopLagProbe(config.probeMs),
    private readonly clock: Clock = hotPathClock,
    random: () => number = Math.random,
  ) {
    this.share = new ClassShare(config.maxRefusal, random);
    this.burstByRank = BURST_FACTORS.map((f) => f * config.burstMs);
  }

  /** The share of calls refused now. */
  get refusal(): number {
    return this.share.refusal;
  }

  /** Probability that a call of each class rank is refused now. */
  get refusalByRank(): readonly number[] {
    return this.share.refusalByRank;
  }

  /**
   * Admission of one call of class rank `rank`: records the queue delay it saw, and says whether to refuse it
   * (false) or let it run (true). O(1), no allocation; the caller builds the refusal.
   */
  admit(rank: number): boolean {
    const lag = this.lag.lagMs(this.clock.monotonic());
    this.delaySum += lag;
    // The bound cuts only while the control is refusing at all (CoDel drops within a burst only in its dropping
    // state): a loop that is not overloaded keeps every call through a turn stretched by the machine's scheduler.
    const cut = this.share.refusal > 0 && lag > this.burstByRank[rank]! && this.share.lowerExhausted[rank]!;
    return !this.share.refuses(rank, cut);
  }

  /** The refusal of a call `admit` turned away. */
  refusalError(operation: string, criticality: Criticality): OverloadedError {
    return new OverloadedError(operation, criticality, 'queue_delay', this.retryAfterMs());
  }

  /** How long a refused caller should wait, in ms (a second: the control's judgement moves every interval). */
  retryAfterMs(): number {
    return 1000;
  }

  /** Ends one interval: judges its queue delay, moves the refused share, spreads it over the classes. */
  update(): void {
    // No call in the interval: no queue of calls to judge; the probe's own lag says whether the loop is busy.
    const count = this.share.arrived();
    const delay = count === 0 ? this.lag.lagMs(this.clock.monotonic()) : this.delaySum / count;
    this.delaySum = 0;
    this.judged = delay;
    const { targetMs, gain } = this.config;
    this.share.move(gain * Math.max(-1, Math.min(1, (delay - targetMs) / targetMs)));
  }

  /** Starts the probe and the interval timer (both unref'd). */
  start(): void {
    if (this.timer !== undefined) return;
    this.lag.start();
    this.timer = setInterval(this.tick, this.config.intervalMs);
    this.timer.unref();
  }

  /** Stops both. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.lag.stop();
  }

  /** Plain JSON state. */
  snapshot(): QueueDelaySnapshot {
    return {
      targetMs: this.config.targetMs,
      queueDelayMs: round(this.judged),
      refusal: round(this.share.refusal),
      refusalByClass: this.share.byClass(),
      shed: this.share.shedByClass(),
    };
  }

  // A timer callback: a throw here is counted in production.internal.errors, and the next interval tries again.
  private readonly tick = guarded('overload_queue_delay', (): void => this.update());
}
