import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, requireBuild } from '../support/helpers.js';
import { runOverload } from '../../scripts/overload/scenario.mjs';

/**
 * Real overload, from another process: a service with 10 slots of 100 ms (capacity 100 calls/s, timer-based so
 * the capacity holds on a loaded machine) behind the adaptive limit on its defaults, offered 0.5x to 3x its
 * capacity, against static limits 2x too high and 2x too low in the same run (about 55 s). The thresholds are
 * the issue's; the measured figures are the bench's (`bench/cases/overload.mjs`). The CPU-bound variant is
 * bench-only: on a shared 2-core CI machine its capacity is whatever the other jobs leave.
 */
describe('adaptive concurrency limit under real overload (child processes)', () => {
  // Two retries: a scheduler stall of a shared 2-core machine (other test files run in parallel) inside the measured
  // window moves a p99 or times out queued critical calls; every attempt's figures go to test-output/overload-figures-*.json.
  it(
    'keeps goodput and latency at 3x, protects critical traffic, and re-converges when capacity halves',
    { timeout: 400_000, retry: 2 },
    async () => {
      requireBuild();
      const r = await runOverload({ slots: 10, serviceMs: 100, adaptive: {} });
      const details = JSON.stringify({ ...r, halving: { ...r.halving, timeline: r.halving.timeline.slice(0, 30) } });
      // The figures of every attempt, for a reader of a CI run (test-output/ is the CI artefact directory).
      mkdirSync(join(ROOT, 'test-output'), { recursive: true });
      writeFileSync(join(ROOT, 'test-output', `overload-figures-${Date.now()}.json`), details);
      // At 3x: goodput at least 90 % of capacity, p99 of admitted calls at most 2x the unloaded p99.
      expect(r.goodputRatio3x, details).toBeGreaterThanOrEqual(0.9);
      expect(r.p99Ratio3x, details).toBeLessThanOrEqual(2);
      // 20 % critical, 80 % sheddable at 3x: at least 99 % of critical calls succeed.
      expect(r.mixed.criticalSent, details).toBeGreaterThan(100);
      expect(r.criticalSuccess3x, details).toBeGreaterThanOrEqual(0.99);
      // Capacity halves at run time: the limit is back within 2x the new slots within 5 s.
      expect(r.halving.convergedMs, details).not.toBeNull();
      expect(r.halving.convergedMs!, details).toBeLessThanOrEqual(5000);
      // The comparison the limit is for: a static limit 2x too low wastes half the capacity.
      expect(r.staticLow.goodputRatio, details).toBeLessThan(0.7);
      expect(r.goodputRatio3x - r.staticLow.goodputRatio, details).toBeGreaterThan(0.2);
    },
  );
});
