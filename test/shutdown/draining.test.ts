import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ShuttingDownError } from '../../src/errors.js';
import { GracefulShutdownManager } from '../../src/shutdown/index.js';

const config = {
  preStopDelayMs: 0,
  stopAcceptingTimeoutMs: 1000,
  drainTimeoutMs: 3000,
  saveStateTimeoutMs: 1000,
  cleanupTimeoutMs: 1000,
  gracefulTimeoutMs: 60_000,
};

/** A request that runs until `finish()` or until the manager's abandon signal fires. */
function startRequest(manager: GracefulShutdownManager) {
  const guard = manager.trackActiveRequest();
  let finished = false;
  let abortedWith: unknown;
  manager.abandonSignal.addEventListener('abort', () => (abortedWith = manager.abandonSignal.reason as unknown), { once: true });
  return {
    guard,
    finish() {
      finished = true;
      guard.release();
    },
    get finished() {
      return finished;
    },
    get abortedWith() {
      return abortedWith;
    },
  };
}

describe('request draining', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('lets requests in flight finish while refusing new ones with SHUTTING_DOWN', async () => {
    const manager = new GracefulShutdownManager(config);
    const a = startRequest(manager);
    const b = startRequest(manager);
    expect(manager.getShutdownProgress()).toMatchObject({ activeRequests: 2, acceptedRequests: 2 });
    const done = manager.initiateShutdown();
    await vi.advanceTimersByTimeAsync(0);
    expect(manager.getPhase()).toBe('finish_active_requests');
    expect(manager.isShuttingDown()).toBe(true);
    expect(() => manager.trackActiveRequest()).toThrow(ShuttingDownError);
    try {
      manager.trackActiveRequest();
    } catch (error) {
      expect((error as ShuttingDownError).code).toBe('SHUTTING_DOWN');
    }
    await vi.advanceTimersByTimeAsync(1000);
    a.finish();
    await vi.advanceTimersByTimeAsync(1000);
    expect(manager.getPhase()).toBe('finish_active_requests');
    b.finish();
    const report = await done;
    expect(report.phases.find((p) => p.phase === 'finish_active_requests')).toMatchObject({ outcome: 'completed', durationMs: 2000 });
    expect(report.requestsDrained).toBe(2);
    expect(report.requestsAbandoned).toBe(0);
    expect(report.requestsRejected).toBe(2);
    expect(manager.abandonSignal.aborted).toBe(false);
    expect(a.abortedWith).toBeUndefined();
  });

  it('fires the abandon signal at the drain deadline and counts those requests as abandoned', async () => {
    const manager = new GracefulShutdownManager(config);
    const quick = startRequest(manager);
    const stuck = startRequest(manager);
    const done = manager.initiateShutdown();
    await vi.advanceTimersByTimeAsync(100);
    quick.finish();
    await vi.advanceTimersByTimeAsync(2899);
    expect(stuck.abortedWith).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(stuck.abortedWith).toBeInstanceOf(ShuttingDownError);
    const report = await done;
    expect(report.phases.find((p) => p.phase === 'finish_active_requests')).toMatchObject({ outcome: 'timed_out', durationMs: 3000 });
    expect(report.requestsDrained).toBe(1);
    expect(report.requestsAbandoned).toBe(1);
    expect(report.forced).toBe(false);
    expect(manager.getShutdownProgress()).toMatchObject({ abandonedRequests: 1, drainedRequests: 1, activeRequests: 1 });
    // The abandoned request's guard still releases cleanly later.
    stuck.finish();
    expect(manager.getShutdownProgress().activeRequests).toBe(0);
  });

  it('keeps serving during preStopDelayMs while readiness already fails', async () => {
    const manager = new GracefulShutdownManager({ ...config, preStopDelayMs: 5000 });
    expect(manager.isReady()).toBe(true);
    const done = manager.initiateShutdown();
    expect(manager.isReady()).toBe(false);
    expect(manager.isShuttingDown()).toBe(false);
    await vi.advanceTimersByTimeAsync(4999);
    // Kubernetes may still route here: requests are admitted.
    const late = manager.trackActiveRequest();
    expect(manager.getPhase()).toBe('initiate_shutdown');
    await vi.advanceTimersByTimeAsync(1);
    expect(manager.isShuttingDown()).toBe(true);
    expect(() => manager.trackActiveRequest()).toThrow(ShuttingDownError);
    late.release();
    const report = await done;
    expect(report.phases[0]).toMatchObject({ phase: 'initiate_shutdown', durationMs: 5000, outcome: 'completed' });
    expect(report.requestsDrained).toBe(1);
  });

  it('forceShutdown during draining abandons at once and skips the rest', async () => {
    const manager = new GracefulShutdownManager(config);
    let cleaned = false;
    manager.registerHandler('c', { cleanup: () => void (cleaned = true) });
    const r = startRequest(manager);
    const done = manager.initiateShutdown();
    await vi.advanceTimersByTimeAsync(500);
    const forced = manager.forceShutdown('operator');
    expect(forced).toBe(done);
    expect(r.abortedWith).toBeInstanceOf(ShuttingDownError);
    const report = await done;
    expect(report.forced).toBe(true);
    expect(report.requestsAbandoned).toBe(1);
    expect(report.phases.map((p) => p.outcome)).toEqual(['completed', 'completed', 'forced', 'skipped', 'skipped']);
    expect(cleaned).toBe(false);
    r.finish();
  });

  it('guards release once, by release() or using', () => {
    const manager = new GracefulShutdownManager(config);
    const guard = manager.trackActiveRequest();
    expect(guard.released).toBe(false);
    guard.release();
    guard.release();
    expect(guard.released).toBe(true);
    expect(manager.getShutdownProgress().activeRequests).toBe(0);
    {
      using scoped = manager.trackActiveRequest();
      expect(scoped.released).toBe(false);
      expect(manager.getShutdownProgress().activeRequests).toBe(1);
    }
    expect(manager.getShutdownProgress().activeRequests).toBe(0);
  });
});
