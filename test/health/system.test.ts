import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidConfigError, TimeoutError } from '../../src/errors.js';
import { HealthCheckSystem } from '../../src/health/index.js';
import { aggregateStatus } from '../../src/health/report.js';
import { Probe, system } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('status thresholds', () => {
  it('turns Warning then Critical after consecutive failures and recovers after consecutive successes', async () => {
    const health = system({ defaults: { warningThreshold: 2, criticalThreshold: 4, recoveryThreshold: 3 } });
    const probe = new Probe();
    const db = health.registerComponent('db', probe.check);
    await health.checkComponentHealth('db');
    expect(db.status).toBe('healthy');
    probe.mode = 'fail';
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      await health.checkComponentHealth('db');
      seen.push(db.status);
    }
    expect(seen).toEqual(['healthy', 'warning', 'warning', 'critical']);
    expect(db.consecutiveFailures).toBe(4);
    expect(db.lastError).toBe('boom');
    probe.mode = 'ok';
    seen.length = 0;
    for (let i = 0; i < 3; i++) {
      await health.checkComponentHealth('db');
      seen.push(db.status);
    }
    expect(seen).toEqual(['critical', 'critical', 'healthy']);
    expect(db.consecutiveFailures).toBe(0);
    expect(db.totalChecks).toBe(8);
    expect(db.totalFailures).toBe(4);
    await health.shutdown();
  });

  it('counts a critical result as a failure and a warning result as degraded but not failing', async () => {
    const health = system({ defaults: { warningThreshold: 1, criticalThreshold: 2 } });
    const probe = new Probe();
    const c = health.registerComponent('c', probe.check);
    probe.mode = 'warn';
    await health.checkComponentHealth('c');
    expect(c.status).toBe('warning');
    expect(c.consecutiveFailures).toBe(0);
    probe.mode = 'critical';
    await health.checkComponentHealth('c');
    await health.checkComponentHealth('c');
    expect(c.status).toBe('critical');
    expect(c.lastError).toBe('said critical');
    await health.shutdown();
  });

  it('tracks mean response time and last success time', async () => {
    const health = system();
    const probe = new Probe();
    probe.mode = 'slow';
    probe.slowMs = 100;
    health.registerComponent('c', probe.check);
    const first = health.checkComponentHealth('c');
    await vi.advanceTimersByTimeAsync(100);
    await first;
    probe.slowMs = 300;
    const second = health.checkComponentHealth('c');
    await vi.advanceTimersByTimeAsync(300);
    const snap = await second;
    expect(snap.avgResponseTimeMs).toBe(200);
    expect(snap.lastDurationMs).toBe(300);
    expect(snap.lastSuccessTime).toBe(Date.now());
    await health.shutdown();
  });
});

describe('timeouts', () => {
  it('aborts the check signal and records a timeout failure, even when the check ignores the abort', async () => {
    const health = system({ defaults: { timeoutMs: 500, criticalThreshold: 1 } });
    const probe = new Probe();
    probe.mode = 'hang';
    const c = health.registerComponent('hung', probe.check);
    const run = health.checkComponentHealth('hung');
    await vi.advanceTimersByTimeAsync(499);
    expect(probe.signals[0]!.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const snap = await run;
    expect(probe.signals[0]!.aborted).toBe(true);
    expect(probe.signals[0]!.reason).toBeInstanceOf(TimeoutError);
    expect(snap.status).toBe('critical');
    expect(snap.lastError).toMatch(/timed out after 500 ms/);
    expect(snap.lastDurationMs).toBe(500);
    // The next run is a fresh probe, not stuck behind the hung one.
    probe.mode = 'ok';
    await health.checkComponentHealth('hung');
    expect(c.status).toBe('healthy');
    expect(probe.calls).toBe(2);
    await health.shutdown();
  });
});

describe('aggregation', () => {
  it('is Unknown before the first run, Critical only for an essential Critical component', async () => {
    const health = system({ defaults: { criticalThreshold: 1 } });
    const essential = new Probe();
    const optional = new Probe();
    health.registerComponent('core', essential.check, {}, true);
    health.registerComponent('extra', optional.check, {}, false);
    expect(health.getOverallStatus()).toBe('unknown');
    expect(health.isReady()).toBe(false);
    let report = await health.performFullHealthCheck();
    expect(report.status).toBe('healthy');
    expect(report.ready).toBe(true);
    optional.mode = 'fail';
    report = await health.performFullHealthCheck();
    expect(report.components.extra!.status).toBe('critical');
    expect(report.status).toBe('warning');
    expect(report.ready).toBe(true);
    essential.mode = 'fail';
    report = await health.performFullHealthCheck();
    expect(report.status).toBe('critical');
    expect(report.ready).toBe(false);
    expect(report.essentialFailures).toEqual(['core']);
    expect(report.summary).toEqual({ total: 2, healthy: 0, warning: 0, critical: 2, unknown: 0 });
    expect(health.isReady(new Set(['core']))).toBe(true);
    await health.shutdown();
  });

  it('aggregates statuses by the rules', () => {
    expect(aggregateStatus([])).toBe('healthy');
    expect(aggregateStatus([{ status: 'unknown', essential: true }])).toBe('unknown');
    expect(
      aggregateStatus([
        { status: 'healthy', essential: true },
        { status: 'unknown', essential: false },
      ]),
    ).toBe('warning');
    expect(
      aggregateStatus([
        { status: 'critical', essential: false },
        { status: 'healthy', essential: true },
      ]),
    ).toBe('warning');
    expect(
      aggregateStatus([
        { status: 'critical', essential: true },
        { status: 'unknown', essential: true },
      ]),
    ).toBe('critical');
  });

  it('reads a result older than maxResultAgeMs as Unknown', async () => {
    const health = system({ maxResultAgeMs: 20_000 });
    health.registerComponent('c', new Probe().check);
    await health.performFullHealthCheck();
    expect(health.getHealthReport().components.c!.status).toBe('healthy');
    vi.setSystemTime(Date.now() + 20_001);
    const report = health.getHealthReport();
    expect(report.components.c).toMatchObject({ status: 'unknown', heldStatus: 'healthy', stale: true });
    expect(report.ready).toBe(false);
    await health.shutdown();
  });
});

describe('concurrency and runners', () => {
  it('concurrent full checks do not run a component twice at once', async () => {
    const health = system();
    const probe = new Probe();
    probe.mode = 'slow';
    health.registerComponent('slow', probe.check);
    const runs = [health.performFullHealthCheck(), health.performFullHealthCheck(), health.checkComponentHealth('slow')];
    await vi.advanceTimersByTimeAsync(1000);
    await Promise.all(runs);
    expect(probe.calls).toBe(1);
    expect(probe.maxActive).toBe(1);
    await health.shutdown();
  });

  it('probes each component on its interval without overlapping a slow run, and stops on shutdown', async () => {
    const health = system({ defaults: { intervalMs: 1000, timeoutMs: 5000 } });
    const probe = new Probe();
    probe.mode = 'slow';
    probe.slowMs = 2500;
    health.registerComponent('slow', probe.check);
    health.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(probe.calls).toBe(1);
    // The run takes 2.5 s; the next starts 1 s after it ends, never while it runs.
    await vi.advanceTimersByTimeAsync(3400);
    expect(probe.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(probe.calls).toBe(2);
    expect(probe.maxActive).toBe(1);
    await vi.advanceTimersByTimeAsync(2500);
    await health.shutdown();
    const calls = probe.calls;
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(probe.calls).toBe(calls);
  });

  it('a burst of reports never runs the checks again', async () => {
    const health = system({ defaults: { intervalMs: 10_000 } });
    const probe = new Probe();
    health.registerComponent('c', probe.check);
    health.start();
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 100; i++) health.getHealthReport();
    expect(probe.calls).toBe(1);
    await health.shutdown();
  });

  it('aborts a check in flight on shutdown and calls close()', async () => {
    const health = system();
    const probe = new Probe();
    probe.mode = 'hang';
    const close = vi.fn();
    const check = Object.assign((signal: AbortSignal) => probe.check(signal), { close });
    health.registerComponent('hung', check);
    health.start();
    await vi.advanceTimersByTimeAsync(0);
    await health.shutdown();
    expect(probe.signals[0]!.aborted).toBe(true);
    expect(close).toHaveBeenCalledOnce();
    expect(health.isShuttingDown()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps running when the injected logger throws', async () => {
    const logger = {
      log: vi.fn(() => {
        throw new Error('logger broke');
      }),
    };
    const health = system({ defaults: { intervalMs: 1000 } }, { logger });
    const probe = new Probe();
    health.registerComponent('c', probe.check);
    health.start();
    await vi.advanceTimersByTimeAsync(0);
    probe.mode = 'fail';
    await vi.advanceTimersByTimeAsync(1000);
    expect(logger.log).toHaveBeenCalledTimes(2);
    expect(probe.calls).toBe(2);
    expect(health.getComponent('c')!.status).toBe('warning');
    await vi.advanceTimersByTimeAsync(1000);
    expect(probe.calls).toBe(3);
    await health.shutdown();
  });

  it('starts runners for components registered after start()', async () => {
    const health = system();
    health.start();
    const probe = new Probe();
    health.registerComponent('late', probe.check);
    await vi.advanceTimersByTimeAsync(0);
    expect(probe.calls).toBe(1);
    expect(health.unregisterComponent('late')).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    await health.shutdown();
  });
});

describe('readiness for the shutdown manager', () => {
  it('setNotReady withdraws readiness while checks keep their results', async () => {
    const health = system();
    health.registerComponent('c', new Probe().check);
    await health.performFullHealthCheck();
    expect(health.isReady()).toBe(true);
    health.setNotReady();
    expect(health.isReady()).toBe(false);
    expect(health.getHealthReport()).toMatchObject({ ready: false, shuttingDown: true, status: 'healthy' });
    health.setReady();
    expect(health.isReady()).toBe(true);
    await health.shutdown();
  });

  it('follows an injected shutting-down source', async () => {
    let stopping = false;
    const health = system({}, { isShuttingDown: () => stopping });
    expect(health.isReady()).toBe(true);
    stopping = true;
    expect(health.isReady()).toBe(false);
    await health.shutdown();
  });

  it('getHealthStatus is plain JSON', async () => {
    const health = system();
    new Probe();
    health.registerComponent('c', new Probe().check, {}, false);
    await health.performFullHealthCheck();
    const status = health.getHealthStatus();
    expect(JSON.parse(JSON.stringify(status))).toEqual(status);
    expect(status).toMatchObject({
      status: 'healthy',
      ready: true,
      components: { c: { status: 'healthy', essential: false, totalChecks: 1, consecutiveFailures: 0 } },
    });
    await health.shutdown();
  });
});

describe('validation', () => {
  it('rejects bad config and names the field', () => {
    expect(() => new HealthCheckSystem({ defaults: { intervalMs: 5 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'healthChecks.defaults.intervalMs' }),
    );
    expect(() => new HealthCheckSystem({ defaults: { warningThreshold: 5, criticalThreshold: 2 } })).toThrow(InvalidConfigError);
    expect(() => new HealthCheckSystem({ maxResultAgeMs: 10_000 })).toThrow(
      expect.objectContaining({ path: 'healthChecks.maxResultAgeMs' }),
    );
    const health = system({ maxResultAgeMs: 20_000 });
    expect(() => health.registerComponent('bad name', new Probe().check)).toThrow(expect.objectContaining({ path: 'name' }));
    expect(() => health.registerComponent('a:b', new Probe().check)).toThrow(InvalidConfigError);
    expect(() => health.registerComponent('c', new Probe().check, { intervalMs: 18_000, timeoutMs: 5000 })).toThrow(
      expect.objectContaining({ path: 'healthChecks.components.c.intervalMs' }),
    );
    expect(() => health.registerComponent('c', new Probe().check, { timeoutMs: -1 })).toThrow(
      expect.objectContaining({ path: 'healthChecks.components.c.timeoutMs' }),
    );
    health.registerComponent('c', new Probe().check);
    expect(() => health.registerComponent('c', new Probe().check)).toThrow(/already registered/);
    return expect(health.checkComponentHealth('nope')).rejects.toThrow(InvalidConfigError);
  });

  it('caps the number of components', () => {
    const health = system({}, { maxComponents: 2 });
    health.registerComponent('a', new Probe().check);
    health.registerComponent('b', new Probe().check);
    expect(() => health.registerComponent('c', new Probe().check)).toThrow(/at most 2/);
  });

  it('applies per-component overrides from the config', () => {
    const health = system({ components: { db: { timeoutMs: 123 } } });
    expect(health.registerComponent('db', new Probe().check).config).toMatchObject({ timeoutMs: 123, intervalMs: 10_000 });
    expect(health.registerComponent('db2', new Probe().check, { criticalThreshold: 7 }).config.criticalThreshold).toBe(7);
  });

  it('treats a check that resolves a non-object as a failure', async () => {
    const health = system({ defaults: { criticalThreshold: 1 } });
    health.registerComponent('odd', async () => 42);
    const snap = await health.checkComponentHealth('odd');
    expect(snap.status).toBe('critical');
    expect(snap.lastError).toMatch(/result object/);
    await health.shutdown();
  });
});
