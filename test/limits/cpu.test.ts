import { afterEach, describe, expect, it, vi } from 'vitest';
import { RateLimitingManager, ResourceUsage, type ResourceProbe } from '../../src/limits/index.js';
import { leaseSystemStats } from '../../src/monitoring/system-stats.js';
import { clockOf } from '../support/clock.js';

// Regression (issue 11, finding 6): /status showed cpu peak 436 % on a 2-core machine just after start-up:
// the first sample was a ratio over the microseconds since the sampler was made, and the figure was a
// percent of one core. CPU is now a share of all cores, 0 to 100 %, the first figure the average since the
// process started; resource limits and the system stats use the same definition.

class InjectedProbe implements ResourceProbe {
  cpu = 0;
  constructor(
    private readonly coreCount: number,
    private readonly uptime: number,
  ) {}
  memoryBytes() {
    return 1;
  }
  cpuMicros() {
    return this.cpu;
  }
  uptimeMs() {
    return this.uptime;
  }
  cores() {
    return this.coreCount;
  }
  eventLoopDelayMs() {
    return 1;
  }
  close() {}
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('CPU use: a share of all cores, 0 to 100 %', () => {
  it('the first sample is the average since start-up, never a ratio over a few microseconds', () => {
    // 0.7 s of CPU during 400 ms of start-up on 2 cores, then 4.36 ms more within 1 ms of clock.
    const probe = new InjectedProbe(2, 400);
    probe.cpu = 700_000;
    const clock = { now: 0 };
    const usage = new ResourceUsage(
      probe,
      clockOf(() => clock.now),
      'rss',
    );
    probe.cpu = 704_360;
    clock.now = 1;
    usage.sample();
    expect(usage.cpuPercent).toBeCloseTo((704_360 / 1000 / 401 / 2) * 100, 5);
    expect(usage.peakCpuPercent).toBeLessThanOrEqual(100);

    // Then per interval: one busy core of two is 50 %.
    clock.now = 1001;
    probe.cpu += 1_000_000;
    usage.sample();
    expect(usage.cpuPercent).toBeCloseTo(50, 5);
    // A sample 10 ms later keeps the figure instead of a ratio over 10 ms.
    clock.now = 1011;
    probe.cpu += 100_000;
    usage.sample();
    expect(usage.cpuPercent).toBeCloseTo(50, 5);
    // A counter that over-reports is clamped: never above 100 %.
    clock.now = 2011;
    probe.cpu += 9_000_000;
    usage.sample();
    expect(usage.cpuPercent).toBe(100);
    expect(usage.toJSON()).toMatchObject({ cpuPercent: 100, peakCpuPercent: 100 });
  });

  it('resource limits use the same definition: 0 to 100 % of all cores', async () => {
    expect(() => new RateLimitingManager({}, { maxCpuPercent: 150 }, { metrics: false })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'resourceLimits.maxCpuPercent' }),
    );
    const probe = new InjectedProbe(4, 1000);
    const clock = { now: 0 };
    const m = new RateLimitingManager({}, { maxCpuPercent: 60 }, { probe, clock: clockOf(() => clock.now), metrics: false });
    try {
      clock.now = 1000;
      probe.cpu += 2_000_000; // two of four cores busy: 50 %
      m.sampleResources();
      expect(() => m.checkResourceLimits()).not.toThrow();
      clock.now = 2000;
      probe.cpu += 3_000_000; // three of four: 75 %
      m.sampleResources();
      expect(() => m.checkResourceLimits()).toThrow(expect.objectContaining({ resource: 'cpu', current: 75, limit: 60 }));
    } finally {
      await m.shutdown();
    }
  });

  it('the system stats sampler reports the same 0 to 100 % figure from its first read', () => {
    let calls = 0;
    // A process.cpuUsage that jumps 50 ms of CPU per call: over the microseconds between two calls the
    // old ratio read thousands of percent.
    vi.spyOn(process, 'cpuUsage').mockImplementation(() => ({ user: ++calls * 50_000, system: 0 }));
    const stats = leaseSystemStats(60_000, undefined);
    try {
      const first = stats.read().cpuPercent;
      expect(first).toBeGreaterThanOrEqual(0);
      expect(first).toBeLessThanOrEqual(100);
    } finally {
      stats.guard.release();
    }
  });
});
