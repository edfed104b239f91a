import { afterEach, describe, expect, it, vi } from 'vitest';
import { AbortedError, BulkheadRejectedError, ResourceExhaustedError } from '../../src/errors.js';
import { RateLimitingManager, type ResourceLimitsInput, type ResourceProbe } from '../../src/limits/index.js';
import { clockOf } from '../support/clock.js';

class FakeProbe implements ResourceProbe {
  memory = 100;
  cpu = 0;
  delay = 1;
  closed = false;
  memoryBytes() {
    return this.memory;
  }
  cpuMicros() {
    return this.cpu;
  }
  cores() {
    return 1;
  }
  eventLoopDelayMs() {
    return this.delay;
  }
  close() {
    this.closed = true;
  }
}

const managers: RateLimitingManager[] = [];
function setup(limits: ResourceLimitsInput) {
  const probe = new FakeProbe();
  const clock = { now: 0 };
  const m = new RateLimitingManager({}, limits, { probe, clock: clockOf(() => clock.now), metrics: false });
  managers.push(m);
  return { m, probe, clock };
}
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.shutdown()));
  vi.useRealTimers();
});

function exhausted(fn: () => void): ResourceExhaustedError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ResourceExhaustedError) return error;
    throw error;
  }
  throw new Error('expected RESOURCE_EXHAUSTED');
}

describe('resource limits', () => {
  it('compares sampled values, plus the memory estimate, with the limits', () => {
    vi.useFakeTimers();
    const { m, probe, clock } = setup({ maxMemoryBytes: 1000, maxCpuPercent: 50, maxEventLoopDelayMs: 100, sampleIntervalMs: 1000 });
    expect(() => m.checkResourceLimits(800)).not.toThrow();
    expect(exhausted(() => m.checkResourceLimits(901))).toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      resource: 'memory',
      current: 1001,
      limit: 1000,
    });
    // Nothing changes between samples, whatever the probe says now.
    probe.memory = 5000;
    probe.cpu = 800_000; // 0.8 s of CPU over 1 s of clock: 80 %
    probe.delay = 250;
    clock.now = 1000;
    expect(() => m.checkResourceLimits()).not.toThrow();
    vi.advanceTimersByTime(1000);
    expect(exhausted(() => m.checkResourceLimits()).resource).toBe('memory');
    probe.memory = 10;
    m.sampleResources();
    expect(exhausted(() => m.checkResourceLimits())).toMatchObject({ resource: 'cpu', current: 80, limit: 50 });
  });

  it('names event-loop delay and keeps peaks', () => {
    const { m, probe, clock } = setup({ maxEventLoopDelayMs: 100 });
    probe.delay = 250;
    clock.now = 10;
    m.sampleResources();
    expect(exhausted(() => m.checkResourceLimits()).resource).toBe('event_loop_delay');
    probe.delay = 5;
    probe.memory = 50;
    clock.now = 20;
    m.sampleResources();
    expect(() => m.checkResourceLimits()).not.toThrow();
    expect(m.getResourceUsage()).toMatchObject({ eventLoopDelayMs: 5, peakEventLoopDelayMs: 250, memoryBytes: 50, peakMemoryBytes: 100 });
    expect(m.healthCheck()).toMatchObject({ healthy: true, store: { state: 'memory' } });
  });

  it('stops its sampler and probe on shutdown', async () => {
    vi.useFakeTimers();
    const { m, probe } = setup({ sampleIntervalMs: 100 });
    vi.advanceTimersByTime(300);
    const samples = m.resourceUsage.samples;
    expect(samples).toBe(4);
    await m.shutdown();
    vi.advanceTimersByTime(1000);
    expect(m.resourceUsage.samples).toBe(samples);
    expect(probe.closed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('operation permits', () => {
  it('never leak when the operation throws; releasing twice is harmless', async () => {
    const { m } = setup({ maxActiveOperations: 2 });
    const run = async (fail: boolean) => {
      using permit = await m.acquireOperationPermit();
      void permit;
      if (fail) throw new Error('boom');
    };
    for (let i = 0; i < 20; i++) await run(i % 2 === 0).catch(() => undefined);
    expect(m.getResourceUsage()).toMatchObject({ activeOperations: 0, peakOperations: 1 });
    const a = m.tryAcquireOperationPermit()!;
    const b = m.tryAcquireOperationPermit()!;
    expect(m.tryAcquireOperationPermit()).toBeUndefined();
    a.release();
    a.release();
    a[Symbol.dispose]();
    expect(m.getResourceUsage().activeOperations).toBe(1);
    b.release();
    expect(m.getResourceUsage().activeOperations).toBe(0);
  });

  it('waits up to permitTimeoutMs, then BULKHEAD_REJECTED', async () => {
    vi.useFakeTimers();
    const { m } = setup({ maxActiveOperations: 1, permitTimeoutMs: 500 });
    const held = m.tryAcquireOperationPermit()!;
    const waiting = m.acquireOperationPermit();
    const check = expect(waiting).rejects.toBeInstanceOf(BulkheadRejectedError);
    await vi.advanceTimersByTimeAsync(500);
    await check;
    held.release();
    expect(m.getResourceUsage()).toMatchObject({ activeOperations: 0, waitingForPermit: 0 });
  });

  it('hands a released permit to the first waiter, in order', async () => {
    const { m } = setup({ maxActiveOperations: 1, permitTimeoutMs: 10_000 });
    const held = m.tryAcquireOperationPermit()!;
    const order: number[] = [];
    const waiters = [1, 2].map((n) => m.acquireOperationPermit().then((g) => (order.push(n), g)));
    expect(m.tryAcquireOperationPermit()).toBeUndefined(); // no jumping the queue
    held.release();
    const first = await waiters[0]!;
    first.release();
    (await waiters[1]!).release();
    expect(order).toEqual([1, 2]);
    expect(m.getResourceUsage().activeOperations).toBe(0);
  });

  it('removes an aborted waiter at once and gives the permit to the next', async () => {
    const { m } = setup({ maxActiveOperations: 1, permitTimeoutMs: 60_000 });
    const held = m.tryAcquireOperationPermit()!;
    const controller = new AbortController();
    const aborted = m.acquireOperationPermit(controller.signal);
    const next = m.acquireOperationPermit();
    expect(m.getResourceUsage().waitingForPermit).toBe(2);
    controller.abort(new Error('client went away'));
    await expect(aborted).rejects.toBeInstanceOf(AbortedError);
    expect(m.getResourceUsage().waitingForPermit).toBe(1);
    held.release();
    (await next).release();
    expect(m.getResourceUsage()).toMatchObject({ activeOperations: 0, waitingForPermit: 0 });
    await expect(m.acquireOperationPermit(AbortSignal.abort())).resolves.toBeDefined();
  });

  it('bounds the wait queue and refuses everyone at shutdown', async () => {
    const { m } = setup({ maxActiveOperations: 1, permitTimeoutMs: 60_000, permitQueueSize: 2 });
    m.tryAcquireOperationPermit();
    const queued = [m.acquireOperationPermit(), m.acquireOperationPermit()];
    await expect(m.acquireOperationPermit()).rejects.toBeInstanceOf(BulkheadRejectedError);
    const all = Promise.allSettled(queued);
    await m.shutdown();
    expect((await all).map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});

describe('database connections', () => {
  it('pool of maxDbConnections; RESOURCE_EXHAUSTED (db_connections) when none comes in time', async () => {
    vi.useFakeTimers();
    const { m } = setup({ maxDbConnections: 2, dbConnectionTimeoutMs: 100 });
    const a = await m.acquireDbConnection();
    const b = await m.acquireDbConnection();
    expect(m.getResourceUsage()).toMatchObject({ databaseConnections: 2, peakDatabaseConnections: 2 });
    const late = m.acquireDbConnection();
    const check = expect(late).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED', resource: 'db_connections', limit: 2 });
    await vi.advanceTimersByTimeAsync(100);
    await check;
    const waiting = m.acquireDbConnection();
    a.release();
    (await waiting).release();
    b.release();
    expect(m.getResourceUsage().databaseConnections).toBe(0);
  });
});
