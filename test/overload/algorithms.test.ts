import { describe, expect, it } from 'vitest';
import { AimdLimit, Gradient2Limit } from '../../src/overload/algorithms.js';

const bounds = { initialLimit: 20, minLimit: 2, maxLimit: 200 };
const gradient = (over: Partial<ConstructorParameters<typeof Gradient2Limit>[0]> = {}): Gradient2Limit =>
  new Gradient2Limit({ ...bounds, smoothing: 0.2, rttTolerance: 1.5, longWindow: 60, queueSize: 4, ...over });

/**
 * A server with `slots` concurrent slots and `serviceMs` per call, saturated by demand: every window the limit
 * is full, and calls past the slots queue, so the RTT grows with the limit over the slots.
 */
function drive(
  algorithm: { limit: number; update(s: { rttMs: number; inFlight: number; dropped: boolean }): number },
  slots: () => number,
  windows: number,
  serviceMs = 100,
): number[] {
  const limits: number[] = [];
  for (let i = 0; i < windows; i++) {
    const inFlight = algorithm.limit;
    const rttMs = serviceMs * Math.max(1, inFlight / slots());
    limits.push(algorithm.update({ rttMs, inFlight, dropped: false }));
  }
  return limits;
}

describe('Gradient2', () => {
  it('converges near the capacity of a saturated server and stays there', () => {
    for (const initialLimit of [2, 10, 20]) {
      const limits = drive(gradient({ initialLimit }), () => 10, 400);
      const settled = limits.slice(-100);
      // Equilibrium near tolerance x slots + headroom (1.5 x 10 + 4 = 19): the queue it allows is bounded.
      expect(Math.min(...settled)).toBeGreaterThanOrEqual(10);
      expect(Math.max(...settled)).toBeLessThanOrEqual(25);
    }
  });

  it('converges with a tighter tolerance to a smaller queue', () => {
    const limits = drive(gradient({ rttTolerance: 1.2, queueSize: 2 }), () => 10, 400);
    expect(Math.min(...limits.slice(-100))).toBeGreaterThanOrEqual(10);
    expect(Math.max(...limits.slice(-100))).toBeLessThanOrEqual(16);
  });

  it('re-converges when capacity halves', () => {
    let slots = 20;
    const g = gradient();
    drive(g, () => slots, 300);
    const before = g.limit;
    slots = 10;
    const after = drive(g, () => slots, 60);
    expect(before).toBeGreaterThan(25);
    expect(Math.max(...after.slice(-10))).toBeLessThanOrEqual(24);
  });

  it('stays within its bounds whatever it is fed', () => {
    const g = gradient({ minLimit: 3, maxLimit: 40, initialLimit: 10 });
    let seed = 7;
    const rnd = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < 5000; i++) {
      const limit = g.update({ rttMs: rnd() * 1000, inFlight: Math.floor(rnd() * 100), dropped: rnd() < 0.1 });
      expect(limit).toBeGreaterThanOrEqual(3);
      expect(limit).toBeLessThanOrEqual(40);
      expect(Number.isInteger(limit)).toBe(true);
    }
  });

  it('does not grow while less than half of the limit is in use (app-limited)', () => {
    const g = gradient();
    for (let i = 0; i < 100; i++) g.update({ rttMs: 10, inFlight: 5, dropped: false });
    expect(g.limit).toBe(20);
  });

  it('learns its baseline in a probe at a quarter of the limit first, and probes again every probeInterval windows', () => {
    const g = gradient({ initialLimit: 40, probeInterval: 50 });
    expect(g.limit).toBe(10);
    g.update({ rttMs: 300, inFlight: 40, dropped: false }); // draining what was admitted before the probe
    g.update({ rttMs: 100, inFlight: 10, dropped: false }); // measuring
    expect(g.baselineRttMs).toBe(100);
    expect(g.limit).toBe(40);
    // The service becomes slower for good: the next probe measures the new RTT instead of shrinking forever.
    for (let i = 0; i < 50; i++) g.update({ rttMs: 250, inFlight: g.limit, dropped: false });
    expect(g.baselineRttMs).toBeLessThan(150);
    g.update({ rttMs: 250, inFlight: g.limit, dropped: false });
    g.update({ rttMs: 250, inFlight: g.limit, dropped: false });
    expect(g.baselineRttMs).toBe(250);
  });

  it('backs off on a drop, and ignores samples with no RTT', () => {
    const g = gradient({ initialLimit: 100 });
    g.update({ rttMs: 10, inFlight: 25, dropped: false });
    g.update({ rttMs: 10, inFlight: 25, dropped: false });
    g.update({ rttMs: 0, inFlight: 100, dropped: false });
    expect(g.limit).toBe(100);
    g.update({ rttMs: 10, inFlight: 100, dropped: true });
    expect(g.limit).toBe(90);
  });

  it('keeps its baseline when a long queue forms (the baseline rises slowly)', () => {
    const g = gradient();
    for (let i = 0; i < 20; i++) g.update({ rttMs: 100, inFlight: 20, dropped: false });
    for (let i = 0; i < 60; i++) g.update({ rttMs: 400, inFlight: 20, dropped: false });
    expect(g.baselineRttMs).toBeLessThan(200);
    // At the gradient's floor (0.5) only the headroom is left: 0.9 L + 0.2 x 4 settles at 8.
    expect(g.limit).toBeLessThanOrEqual(8);
  });
});

describe('AIMD', () => {
  const aimd = (over = {}): AimdLimit => new AimdLimit({ ...bounds, backoffRatio: 0.9, latencyThresholdMs: 150, ...over });

  it('adds one per used window and multiplies by the backoff ratio on a drop or a slow window', () => {
    const a = aimd();
    a.update({ rttMs: 50, inFlight: 20, dropped: false });
    expect(a.limit).toBe(21);
    a.update({ rttMs: 50, inFlight: 20, dropped: true });
    expect(a.limit).toBe(18);
    a.update({ rttMs: 200, inFlight: 20, dropped: false });
    expect(a.limit).toBe(16);
    a.update({ rttMs: 50, inFlight: 2, dropped: false });
    expect(a.limit).toBe(16);
  });

  it('oscillates just around the capacity at which latency crosses its threshold', () => {
    const a = aimd({ initialLimit: 2 });
    const limits = drive(a, () => 10, 400);
    const settled = limits.slice(-100);
    expect(Math.min(...settled)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...settled)).toBeLessThanOrEqual(16);
  });

  it('stays within its bounds', () => {
    const a = aimd({ minLimit: 5, maxLimit: 30, initialLimit: 5 });
    for (let i = 0; i < 100; i++) a.update({ rttMs: 1, inFlight: 100, dropped: false });
    expect(a.limit).toBe(30);
    for (let i = 0; i < 100; i++) a.update({ rttMs: 1, inFlight: 100, dropped: true });
    expect(a.limit).toBe(5);
  });
});
