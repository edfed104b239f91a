import { afterEach, describe, expect, it, vi } from 'vitest';
import { OverloadedError } from '../../src/errors.js';
import { resolveConfig } from '../../src/config.js';
import { createProductionSystem, errorResponse } from '../../src/index.js';
import { queueDelaySchema } from '../../src/overload/config.js';
import { OverloadManager, EDGE_OPERATION } from '../../src/overload/manager.js';
import { LoopLagProbe, QueueDelayControl, type LoopLag } from '../../src/overload/queue-delay.js';
import type { Clock } from '../../src/internal/time.js';

/** A loop lag the test sets. */
class SetLag implements LoopLag {
  ms = 0;
  lagMs(): number {
    return this.ms;
  }
  start(): void {}
  stop(): void {}
}

const clock = (): Clock & { t: number } => {
  const c = { t: 0, wall: () => c.t, monotonic: () => c.t };
  return c;
};

/** A seeded random source (mulberry32), so the share of refusals is exact from run to run. */
function seeded(seed = 7): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A CPU-bound service as the control sees it: admitted calls join a queue that drains `capacity` calls per
 * interval (in ten steps), and the loop lag a call sees is the queue's length times the service time of one call.
 */
function plant(control: QueueDelayControl, lag: SetLag, serviceMs: number, capacity: number) {
  let backlog = 0;
  return {
    /** One interval with `arrivals` calls per rank (multiples of 10); returns how many of each were admitted. */
    interval(arrivals: readonly number[]): number[] {
      const admitted = [0, 0, 0, 0];
      for (let step = 0; step < 10; step++) {
        for (let rank = 0; rank < 4; rank++) {
          for (let n = 0; n < arrivals[rank]! / 10; n++) {
            lag.ms = backlog * serviceMs;
            if (control.admit(rank)) {
              admitted[rank]!++;
              backlog++;
            }
          }
        }
        backlog = Math.max(0, backlog - capacity / 10);
      }
      control.update();
      return admitted;
    },
  };
}

const config = (input: Record<string, unknown> = {}) => queueDelaySchema.parse(input);

describe('queue-delay control (proportional shedding on the loop lag calls saw)', () => {
  it('refuses nothing while the queue delay stays under its target', () => {
    const lag = new SetLag();
    const control = new QueueDelayControl(config(), lag, clock(), seeded());
    lag.ms = 10;
    for (let i = 0; i < 50; i++) {
      for (let n = 0; n < 100; n++) expect(control.admit(2)).toBe(true);
      control.update();
    }
    expect(control.refusal).toBe(0);
    expect(control.snapshot()).toMatchObject({ targetMs: 25, refusal: 0, queueDelayMs: 10 });
  });

  it('at 3x capacity refuses about the excess (2/3), converging, and never all traffic', () => {
    const lag = new SetLag();
    const control = new QueueDelayControl(config(), lag, clock(), seeded());
    const service = plant(control, lag, 1, 100);
    const admittedPerInterval: number[] = [];
    for (let i = 0; i < 200; i++) admittedPerInterval.push(service.interval([0, 0, 300, 0]).reduce((a, b) => a + b, 0));
    const late = admittedPerInterval.slice(100);
    const mean = late.reduce((a, b) => a + b, 0) / late.length;
    // The admitted rate settles at the capacity: the refused share follows the excess (1 - 100/300).
    expect(mean).toBeGreaterThan(85);
    expect(mean).toBeLessThan(115);
    expect(Math.min(...late)).toBeGreaterThan(40);
    expect(control.refusal).toBeGreaterThan(0.55);
    expect(control.refusal).toBeLessThan(0.85);
  });

  it('takes the share from the lowest class first: at 3x with 20 % critical, critical calls all run', () => {
    const lag = new SetLag();
    const control = new QueueDelayControl(config(), lag, clock(), seeded());
    const service = plant(control, lag, 1, 100);
    const totals = [0, 0, 0, 0];
    for (let i = 0; i < 200; i++) {
      const admitted = service.interval([240, 0, 60, 0]);
      if (i >= 100) admitted.forEach((n, rank) => (totals[rank]! += n));
    }
    // At least 99 % of critical calls run (the target of the real scenario).
    expect(totals[2]).toBeGreaterThanOrEqual(0.99 * 100 * 60);
    expect(totals[0]! / 100).toBeGreaterThan(20);
    expect(totals[0]! / 100).toBeLessThan(60);
    expect(control.refusalByRank[2]).toBeLessThan(0.05);
    // Sheddable calls are refused, by the share and by the bound on the delay a call meets.
    expect(1 - totals[0]! / (100 * 240)).toBeGreaterThan(0.7);
  });

  it('orders every class, critical_plus last, by their recent arrivals', () => {
    const lag = new SetLag();
    const control = new QueueDelayControl(config({ gain: 1 }), lag, clock(), seeded());
    lag.ms = 1000;
    for (let rank = 0; rank < 4; rank++) for (let n = 0; n < 100; n++) control.admit(rank);
    control.update(); // refusal 1 x gain, capped by maxRefusal 0.99
    expect(control.refusal).toBe(0.99);
    expect(control.refusalByRank.slice(0, 3)).toEqual([1, 1, 1]);
    expect(control.refusalByRank[3]).toBeCloseTo(0.96, 5);
    expect(control.snapshot().refusalByClass).toEqual({ sheddable: 1, sheddablePlus: 1, critical: 1, criticalPlus: 0.96 });
  });

  it('returns to full admission within a few seconds once the load falls', () => {
    const lag = new SetLag();
    const control = new QueueDelayControl(config(), lag, clock(), seeded());
    const service = plant(control, lag, 1, 100);
    for (let i = 0; i < 100; i++) service.interval([0, 0, 300, 0]);
    expect(control.refusal).toBeGreaterThan(0.5);
    let intervals = 0;
    while (control.refusal > 0 && intervals < 100) {
      service.interval([0, 0, 50, 0]);
      intervals++;
    }
    // 100 ms intervals: within 3 s.
    expect(intervals).toBeLessThanOrEqual(30);
    for (let n = 0; n < 100; n++) expect(control.admit(2)).toBe(true);
  });

  it('cuts a burst that arrives within one loop turn where its delay passes burstMs, lowest class first', () => {
    const lag = new SetLag();
    // A control already refusing a little of one class's traffic (one interval just over the target), so the
    // bound is armed, and no lower class is left to refuse first.
    const armed = (rank: number) => {
      const control = new QueueDelayControl(config(), lag, clock(), seeded());
      lag.ms = 26;
      for (let n = 0; n < 100; n++) control.admit(rank);
      control.update();
      expect(control.refusal).toBeGreaterThan(0);
      expect(control.refusalByRank[rank]).toBeLessThan(0.01);
      return control;
    };
    // 100 calls of one class read in one turn (clients whose timers fire together): each admitted call runs its
    // first 1.5 ms chunk before the next is read, each refusal costs 0.3 ms, and no interval has ended yet.
    const burst = (rank: number): number => {
      const control = armed(rank);
      lag.ms = 0;
      let admitted = 0;
      for (let n = 0; n < 100; n++) {
        if (control.admit(rank)) {
          admitted++;
          lag.ms += 1.5;
        } else lag.ms += 0.3;
      }
      return admitted;
    };
    // critical: cut at 50 ms, about what a 1x loop drains in the 150 ms between bursts of a 3x load.
    expect(burst(2)).toBe(34);
    expect(burst(0)).toBe(17);
    expect(burst(1)).toBe(26);
    expect(burst(3)).toBe(67);
  });

  it('cuts nothing on the burst bound while no share is refused: a turn the scheduler stretched is not overload', () => {
    const lag = new SetLag();
    const control = new QueueDelayControl(config(), lag, clock(), seeded());
    for (let n = 0; n < 100; n++) {
      lag.ms = n * 1.5;
      expect(control.admit(n % 4)).toBe(true);
    }
    expect(control.snapshot().shed).toEqual({ sheddable: 0, sheddablePlus: 0, critical: 0, criticalPlus: 0 });
  });

  it('cuts a class on the burst bound only once every lower class with arrivals is refused entirely', () => {
    const lag = new SetLag();
    const control = new QueueDelayControl(config({ gain: 0.2 }), lag, clock(), () => 0.99);
    // 80 sheddable and 20 critical calls at 50 ms (twice the target): the share climbs to 0.2 of all calls,
    // a quarter of the sheddable ones.
    lag.ms = 50;
    for (let n = 0; n < 100; n++) control.admit(n % 5 === 0 ? 2 : 0);
    control.update();
    expect(control.refusalByRank.slice(0, 3)).toEqual([0.25, 0, 0]);
    // A critical call meeting 60 ms is not cut while sheddable calls are still admitted; a sheddable one is.
    lag.ms = 60;
    expect(control.admit(2)).toBe(true);
    expect(control.admit(0)).toBe(false);
    // Every sheddable call refused: now a critical one over the bound is cut too.
    for (let i = 0; i < 5; i++) {
      for (let n = 0; n < 100; n++) control.admit(n % 5 === 0 ? 2 : 0);
      control.update();
    }
    expect(control.refusalByRank[0]).toBe(1);
    expect(control.admit(2)).toBe(false);
    lag.ms = 45;
    expect(control.admit(2)).toBe(true);
  });

  it('judges an idle interval by the probe alone, and counts refusals by class', () => {
    const lag = new SetLag();
    const control = new QueueDelayControl(config({ gain: 0.5 }), lag, clock(), () => 0);
    lag.ms = 100;
    control.update();
    expect(control.refusal).toBe(0.5);
    expect(control.snapshot().queueDelayMs).toBe(100);
    // No arrivals yet: a class with none is refused outright while there is a share to refuse.
    expect(control.admit(0)).toBe(false);
    expect(control.snapshot().shed).toMatchObject({ sheddable: 1 });
    const error = control.refusalError('search', 'sheddable');
    expect(error).toBeInstanceOf(OverloadedError);
    expect(error).toMatchObject({ code: 'OVERLOADED', reason: 'queue_delay', criticality: 'sheddable', retryAfterMs: 1000 });
  });
});

describe('loop-lag probe', () => {
  afterEach(() => vi.useRealTimers());

  it('reads how far past due the probe is while the loop is held, then the lateness of its last firing', () => {
    vi.useFakeTimers();
    const c = clock();
    // The loop busy with its own work all the time.
    const probe = new LoopLagProbe(5, c, () => c.t);
    probe.start();
    probe.start(); // idempotent
    expect(probe.lagMs(c.t)).toBe(0);
    // The loop is held for 40 ms: the probe is due at 5 and has not run.
    c.t = 45;
    expect(probe.lagMs(c.t)).toBe(40);
    vi.advanceTimersByTime(5);
    // It ran 40 ms late: the next call (before it is due again) reads that.
    expect(probe.lagMs(c.t + 1)).toBe(40);
    c.t = 50;
    vi.advanceTimersByTime(5);
    expect(probe.lagMs(c.t)).toBe(0);
    probe.stop();
    c.t = 500;
    expect(probe.lagMs(c.t)).toBe(0);
  });

  it('weights the lateness by the loop utilisation: a loop that was idle, then waited for a CPU, is not late by its own calls', () => {
    vi.useFakeTimers();
    const c = clock();
    let active = 0;
    const probe = new LoopLagProbe(10, c, () => active);
    probe.start();
    // 110 ms of wall time, 11 ms of it running callbacks: the rest idle, waiting for I/O and then for a CPU.
    c.t = 110;
    active = 11;
    vi.advanceTimersByTime(10);
    expect(probe.lagMs(c.t)).toBeCloseTo(10, 5);
    // Overdue while idle again (no callback ran since): the lateness is not its calls'.
    c.t = 230;
    expect(probe.lagMs(c.t)).toBeCloseTo(10, 5);
    probe.stop();
  });

  it('sees a burst that holds the loop after an idle span in full, not weighted by the idle span before it', () => {
    vi.useFakeTimers();
    const c = clock();
    let active = 0;
    const probe = new LoopLagProbe(5, c, () => active);
    probe.start();
    // 100 ms idle between bursts, 1 ms of it active: the probe fires about on time.
    c.t = 100;
    active = 1;
    vi.advanceTimersByTime(5);
    expect(probe.lagMs(c.t)).toBeLessThan(1);
    // A burst arrives at 100 and holds the loop: every ms of it is the loop's own work.
    for (const held of [10, 40, 80]) {
      c.t = 100 + held;
      active = 1 + held;
      expect(probe.lagMs(c.t)).toBeCloseTo(held - 5, 5);
    }
    probe.stop();
  });
});

describe('queue-delay control in the overload manager', () => {
  const managers: OverloadManager[] = [];
  afterEach(() => {
    for (const m of managers.splice(0)) m.shutdown();
  });
  const manager = (lag: SetLag) => {
    const m = new OverloadManager({ queueDelay: { gain: 1 } }, {}, { loopLag: lag, random: () => 0.5, metrics: false });
    managers.push(m);
    return m;
  };

  it('puts every operation under it and refuses in step 5 with OVERLOADED (queue_delay), counted', () => {
    const lag = new SetLag();
    const m = manager(lag);
    const admission = m.admissionFor('search')!;
    expect(admission).toBeDefined();
    lag.ms = 40; // over the target, under the bound a critical call meets (burstMs, 50)
    expect(admission.tryAcquire('critical')).toBeDefined();
    lag.ms = 1000;
    m.queueDelay!.update();
    expect(() => admission.tryAcquire('critical')).toThrow(expect.objectContaining({ code: 'OVERLOADED', reason: 'queue_delay' }));
    expect(m.getOverloadStatus().shedByClass.critical).toBe(1);
    expect(m.getOverloadStatus().queueDelay).toMatchObject({ refusal: 0.6, queueDelayMs: 40, targetMs: 25 });
  });

  it('hands the decision to the HTTP edge once it asks: step 5 no longer refuses on the queue delay', () => {
    const lag = new SetLag();
    const m = manager(lag);
    const admission = m.admissionFor('search')!;
    lag.ms = 1000;
    m.queueDelay!.update();
    expect(m.admitRequest('sheddable')).toBe(false);
    expect(admission.tryAcquire('sheddable')).toBeDefined();
    expect(m.getOverloadStatus().shedByClass.sheddable).toBe(1);
    expect(m.admitRequest()).toBe(false); // the default class, critical, once the lower ones are all refused
  });

  it('admits every request at the edge when it is off', () => {
    const m = new OverloadManager({}, {}, { metrics: false });
    managers.push(m);
    expect(m.admitRequest('sheddable')).toBe(true);
    expect(m.getOverloadStatus().queueDelay).toBeNull();
    expect(EDGE_OPERATION).toBe('http.request');
  });
});

describe('PRODUCTION_OVERLOAD', () => {
  it('turns the queue-delay control and one adaptive limit over every call on with their defaults, or off', () => {
    const on = resolveConfig({}, { PRODUCTION_OVERLOAD: 'on' }).overload;
    expect(on.concurrency).toMatchObject({ algorithm: 'gradient2', initialLimit: 20, maxWaitMs: 100 });
    expect(on.queueDelay).toEqual({
      targetMs: 25,
      intervalMs: 100,
      gain: 0.05,
      burstMs: 50,
      maxRefusal: 0.99,
      probeMs: 5,
    });
    expect(resolveConfig({}, { PRODUCTION_OVERLOAD: 'off' }).overload).toMatchObject({ queueDelay: false, concurrency: false });
    expect(resolveConfig({ overload: { concurrency: false } }, { PRODUCTION_OVERLOAD: 'on' }).overload.concurrency).toBe(false);
    expect(resolveConfig({}, {}).overload.queueDelay).toBe(false);
    // Code's settings refine the variable's.
    expect(resolveConfig({ overload: { queueDelay: { targetMs: 30 } } }, { PRODUCTION_OVERLOAD: 'on' }).overload.queueDelay).toMatchObject({
      targetMs: 30,
    });
  });

  it('names the variable on a bad value', () => {
    expect(() => resolveConfig({}, { PRODUCTION_OVERLOAD: 'maybe' })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'env.PRODUCTION_OVERLOAD' }),
    );
  });
});

describe('PRODUCTION_OVERLOAD=on in a system', () => {
  it('refuses calls of every operation in step 5 (OVERLOADED, 503 + Retry-After), lowest class first, and never runs them', async () => {
    const lag = new SetLag();
    const s = createProductionSystem(
      {},
      { healthChecks: { enabled: false }, shutdown: { exitProcess: false }, overload: { queueDelay: { intervalMs: 60_000 } } },
      { env: { PRODUCTION_OVERLOAD: 'on' }, overload: { loopLag: lag, random: () => 0.5 } },
    );
    try {
      let ran = 0;
      const work = async () => ran++;
      lag.ms = 50; // twice the target: the share climbs by 0.05 per interval
      for (let i = 0; i < 8; i++) {
        for (let n = 0; n < 10; n++) {
          await s.executeProtectedOperation('a', undefined, work, { criticality: 'sheddable' }).catch(() => undefined);
          await s.executeProtectedOperation('b', undefined, work, { criticality: 'critical' }).catch(() => undefined);
        }
        s.components.overload.queueDelay!.update();
      }
      // 8 intervals at +0.05: 40 % of all calls, i.e. 80 % of the sheddable half, no critical one.
      expect(s.components.overload.queueDelay!.refusal).toBeCloseTo(0.4, 5);
      expect(s.components.overload.queueDelay!.refusalByRank[2]).toBe(0);
      const before = ran;
      const error = await s.executeProtectedOperation('a', undefined, work, { criticality: 'sheddable' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'OVERLOADED', reason: 'queue_delay', operation: 'a', criticality: 'sheddable' });
      expect(errorResponse(error)).toMatchObject({ status: 503, headers: { 'retry-after': '1' } });
      await s.executeProtectedOperation('b', undefined, work, { criticality: 'critical' });
      expect(ran).toBe(before + 1);
      expect(s.getSystemStatus().overload?.limits.map((l) => l.operation)).toEqual(['*']);
    } finally {
      await s.shutdown();
    }
  });
});
