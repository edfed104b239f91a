import { describe, expect, it } from 'vitest';
import { nodeSignalsSchema } from '../../src/overload/config.js';
import { OverloadManager } from '../../src/overload/manager.js';
import { NodeSignals, type SignalProbe } from '../../src/overload/signals.js';

/** A probe the test sets: the loop-delay p99 and the utilisation it reports at the next sample. */
class SetProbe implements SignalProbe {
  delayMs = 0;
  elu = 0.1;
  heap = 0.1;
  eventLoopUtilization(): number {
    return this.elu;
  }
  eventLoopDelayP99Ms(): number {
    return this.delayMs;
  }
  heapUsedRatio(): number {
    return this.heap;
  }
  close(): void {}
}

/** A seeded random source (mulberry32), so the share of refusals is exact from run to run. */
function seeded(seed = 11): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const config = (input: Record<string, unknown> = {}) => nodeSignalsSchema.parse({ eventLoopUtilization: null, ...input });

/**
 * A CPU-bound service as the signals see it: each sample interval it serves at most `capacity` calls, the rest
 * of what it admitted stays as a backlog, and the loop-delay p99 of the next sample is that backlog times the
 * service time of one call (plus the interval's own turns).
 */
function plant(signals: NodeSignals, probe: SetProbe, serviceMs: number, capacity: number) {
  let backlog = 0;
  return {
    /** One sample interval with `arrivals` calls per rank; returns how many of each were admitted. */
    interval(arrivals: readonly number[]): number[] {
      const admitted = [0, 0, 0, 0];
      for (let rank = 0; rank < 4; rank++) {
        for (let n = 0; n < arrivals[rank]!; n++) if (signals.admit(rank)) admitted[rank]!++;
      }
      backlog = Math.max(0, backlog + admitted.reduce((a, b) => a + b, 0) - capacity);
      probe.delayMs = (backlog + capacity / 10) * serviceMs;
      signals.sample();
      return admitted;
    },
  };
}

describe("Node's signals: a refused share that follows the excess", () => {
  it('at 3x capacity refuses about the excess (2/3), converging, and never all traffic', () => {
    const probe = new SetProbe();
    const signals = new NodeSignals(config(), probe, seeded());
    // 1 ms per call, 100 calls per 500 ms sample: the delay reaches the 200 ms threshold at a backlog of 190.
    const service = plant(signals, probe, 1, 100);
    const admitted: number[] = [];
    for (let i = 0; i < 200; i++) admitted.push(service.interval([0, 0, 300, 0]).reduce((a, b) => a + b, 0));
    const late = admitted.slice(100);
    const mean = late.reduce((a, b) => a + b, 0) / late.length;
    expect(mean).toBeGreaterThan(85);
    expect(mean).toBeLessThan(115);
    expect(Math.min(...late)).toBeGreaterThan(30);
    expect(signals.refusal).toBeGreaterThan(0.5);
    expect(signals.refusal).toBeLessThan(0.85);
    expect(signals.snapshot()).toMatchObject({ shedding: 'critical' });
  });

  it('takes the share from the lowest class first: at 3x with 20 % critical, critical calls all run', () => {
    const probe = new SetProbe();
    const signals = new NodeSignals(config(), probe, seeded());
    const service = plant(signals, probe, 1, 100);
    const totals = [0, 0, 0, 0];
    for (let i = 0; i < 200; i++) {
      const admitted = service.interval([240, 0, 60, 0]);
      if (i >= 100) admitted.forEach((n, rank) => (totals[rank]! += n));
    }
    expect(totals[2]).toBeGreaterThanOrEqual(0.99 * 100 * 60);
    expect(totals[0]! / 100).toBeGreaterThan(20);
    expect(totals[0]! / 100).toBeLessThan(60);
    expect(signals.refusalByRank[2]).toBe(0);
    expect(signals.snapshot()).toMatchObject({ shedding: 'sheddable', refusalByClass: { critical: 0, criticalPlus: 0 } });
  });

  it('orders every class, critical_plus last, and refuses critical_plus only once everything below is refused', () => {
    const probe = new SetProbe();
    const signals = new NodeSignals(config({ gain: 1 }), probe, seeded());
    probe.delayMs = 10_000;
    for (let rank = 0; rank < 4; rank++) for (let n = 0; n < 100; n++) signals.admit(rank);
    signals.sample(); // share 0 + gain 1, capped at maxRefusal 0.99
    expect(signals.refusal).toBe(0.99);
    expect(signals.refusalByRank.slice(0, 3)).toEqual([1, 1, 1]);
    expect(signals.refusalByRank[3]).toBeCloseTo(0.96, 5);
    expect(signals.snapshot()).toMatchObject({
      shedding: 'critical_plus',
      refusalByClass: { sheddable: 1, sheddablePlus: 1, critical: 1, criticalPlus: 0.96 },
    });
  });

  it('moves by the excess over the threshold (full gain at severeFactor times it) and by its trend, holds at the threshold', () => {
    const probe = new SetProbe();
    const signals = new NodeSignals(config({ eventLoopDelayP99Ms: 100, severeFactor: 1.5, gain: 0.2 }), probe, seeded());
    probe.delayMs = 150; // severe, and rising from nothing: gain x (1 + 1)
    signals.sample();
    expect(signals.refusal).toBeCloseTo(0.4, 5);
    probe.delayMs = 125; // still over, but falling as fast: the share holds
    signals.sample();
    expect(signals.refusal).toBeCloseTo(0.4, 5);
    probe.delayMs = 100; // at the threshold, still falling
    signals.sample();
    expect(signals.refusal).toBeCloseTo(0.3, 5);
    signals.sample(); // at the threshold and steady: holds
    expect(signals.refusal).toBeCloseTo(0.3, 5);
    probe.delayMs = 0;
    signals.sample();
    expect(signals.refusal).toBe(0);
    // Utilisation and heap count the same way: the worst signal over its threshold decides.
    const heap = new NodeSignals(config({ eventLoopDelayP99Ms: null, heapUsedRatio: 0.5, severeFactor: 2, gain: 0.1 }), probe, seeded());
    probe.heap = 1;
    heap.sample();
    expect(heap.refusal).toBeCloseTo(0.2, 5);
    expect(heap.snapshot()).toMatchObject({ heapUsedRatio: 1, refusal: 0.2 });
  });

  it('returns to full admission within a few seconds once the load falls', () => {
    const probe = new SetProbe();
    const signals = new NodeSignals(config(), probe, seeded());
    const service = plant(signals, probe, 1, 100);
    for (let i = 0; i < 100; i++) service.interval([0, 0, 300, 0]);
    expect(signals.refusal).toBeGreaterThan(0.5);
    let samples = 0;
    while (signals.refusal > 0 && samples < 100) {
      service.interval([0, 0, 50, 0]);
      samples++;
    }
    // 500 ms samples: within 5 s.
    expect(samples).toBeLessThanOrEqual(10);
    for (let n = 0; n < 100; n++) expect(signals.admit(2)).toBe(true);
    expect(signals.snapshot()).toMatchObject({ shedding: 'none', refusal: 0 });
  });
});

describe("Node's signals in the overload manager", () => {
  it('refuses in step 5 with OVERLOADED (signals), the default class critical included, counted by class', () => {
    const probe = new SetProbe();
    const m = new OverloadManager(
      { signals: { eventLoopUtilization: null, eventLoopDelayP99Ms: 100, gain: 1 } },
      {},
      { signalProbe: probe, random: () => 0.5, metrics: false },
    );
    try {
      const admission = m.admissionFor('op')!;
      expect(admission.tryAcquire('critical')).toBeDefined();
      probe.delayMs = 1000;
      m.signals!.sample();
      expect(() => admission.tryAcquire('critical')).toThrow(
        expect.objectContaining({ code: 'OVERLOADED', reason: 'signals', criticality: 'critical', retryAfterMs: 500 }),
      );
      expect(m.getOverloadStatus()).toMatchObject({
        signals: { eventLoopDelayP99Ms: 1000, refusal: 0.99 },
        shedByClass: { critical: 1 },
      });
    } finally {
      m.shutdown();
    }
  });
});
