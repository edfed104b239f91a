import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidConfigError } from '../../src/errors.js';
import { GracefulShutdownManager, ShutdownPhase, type ShutdownHandler } from '../../src/shutdown/index.js';
import { memoryLogger } from '../support/helpers.js';
import { deferred } from './helpers.js';

const quick = {
  preStopDelayMs: 0,
  stopAcceptingTimeoutMs: 1000,
  drainTimeoutMs: 5000,
  saveStateTimeoutMs: 1000,
  cleanupTimeoutMs: 1000,
  handlerTimeoutMs: 500,
  telemetryFlushTimeoutMs: 500,
  gracefulTimeoutMs: 60_000,
};

describe('GracefulShutdownManager phases', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('walks the phases in order, calling each handler step in its phase', async () => {
    const manager = new GracefulShutdownManager(quick);
    const seen: string[] = [];
    manager.onPhaseChange((phase) => seen.push(`phase:${phase}`));
    const handler: ShutdownHandler = {
      initiate: () => void seen.push('initiate'),
      stopAccepting: () => void seen.push(`stopAccepting accepting=${!manager.isShuttingDown()}`),
      saveState: () => void seen.push('saveState'),
      cleanup: () => void seen.push('cleanup'),
      finalize: () => void seen.push('finalize'),
    };
    manager.registerHandler('a', handler);
    expect(manager.getPhase()).toBe(ShutdownPhase.Running);
    const report = await manager.initiateShutdown();
    expect(seen).toEqual([
      'phase:initiate_shutdown',
      'initiate',
      'phase:stop_accepting_requests',
      'stopAccepting accepting=false',
      'phase:finish_active_requests',
      'phase:save_state',
      'saveState',
      'phase:cleanup_resources',
      'cleanup',
      'phase:terminated',
      'finalize',
    ]);
    expect(report.forced).toBe(false);
    expect(report.finalPhase).toBe('terminated');
    expect(report.phases.map((p) => [p.phase, p.outcome])).toEqual([
      ['initiate_shutdown', 'completed'],
      ['stop_accepting_requests', 'completed'],
      ['finish_active_requests', 'completed'],
      ['save_state', 'completed'],
      ['cleanup_resources', 'completed'],
    ]);
    expect(report.handlersRun).toBe(5);
    expect(report.telemetryFlushed).toBe(true);
  });

  it('runs lower priorities first and equal priorities concurrently', async () => {
    const manager = new GracefulShutdownManager(quick);
    const events: string[] = [];
    const gate = deferred();
    manager.registerHandler('late', { cleanup: () => void events.push('late') }, { priority: 10 });
    manager.registerHandler(
      'early-slow',
      {
        cleanup: async () => {
          events.push('early-slow start');
          await gate.promise;
          events.push('early-slow end');
        },
      },
      { priority: 1 },
    );
    manager.registerHandler('early-fast', { cleanup: () => void events.push('early-fast') }, { priority: 1 });
    const done = manager.initiateShutdown();
    await vi.advanceTimersByTimeAsync(10);
    // Both priority-1 handlers started; the priority-10 one waits for the slow one.
    expect(events).toEqual(['early-slow start', 'early-fast']);
    gate.resolve();
    await done;
    expect(events).toEqual(['early-slow start', 'early-fast', 'early-slow end', 'late']);
  });

  it('reports a handler that throws and one that hangs, and goes on', async () => {
    const logger = memoryLogger();
    const manager = new GracefulShutdownManager(quick, { logger });
    let cleanedUp = false;
    let hungSignal: AbortSignal | undefined;
    manager.registerHandler('thrower', {
      saveState: () => {
        throw new Error('disk on fire');
      },
    });
    manager.registerHandler('rejecter', { cleanup: () => Promise.reject(new Error('late failure')) });
    manager.registerHandler(
      'hanger',
      {
        cleanup: (signal) => {
          hungSignal = signal;
          return new Promise(() => undefined);
        },
      },
      { timeoutMs: 300 },
    );
    manager.registerHandler('after', { cleanup: () => void (cleanedUp = true) }, { priority: 200 });
    const done = manager.initiateShutdown();
    await vi.advanceTimersByTimeAsync(299);
    expect(cleanedUp).toBe(false);
    expect(hungSignal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const report = await done;
    expect(hungSignal?.aborted).toBe(true);
    expect(cleanedUp).toBe(true);
    const byName = Object.fromEntries(report.handlers.map((h) => [`${h.name}.${h.step}`, h]));
    expect(byName['thrower.saveState']).toMatchObject({ outcome: 'failed', error: 'disk on fire' });
    expect(byName['rejecter.cleanup']).toMatchObject({ outcome: 'failed', error: 'late failure' });
    expect(byName['hanger.cleanup']).toMatchObject({ outcome: 'timed_out', durationMs: 300 });
    expect(byName['after.cleanup']).toMatchObject({ outcome: 'completed' });
    expect(report.handlersFailed).toBe(2);
    expect(report.handlersTimedOut).toBe(1);
    expect(report.forced).toBe(false);
    expect(report.phases.find((p) => p.phase === 'cleanup_resources')?.outcome).toBe('completed_with_errors');
    expect(logger.records.filter((r) => r.level === 'error').map((r) => r.metadata?.handler)).toEqual(['thrower', 'rejecter']);
    expect(logger.records.some((r) => r.level === 'warn' && r.metadata?.handler === 'hanger')).toBe(true);
  });

  it('cuts a phase at its own deadline and skips the handlers it had not reached', async () => {
    const manager = new GracefulShutdownManager({ ...quick, saveStateTimeoutMs: 700, handlerTimeoutMs: 5000 });
    manager.registerHandler('slow', { saveState: () => new Promise(() => undefined) }, { priority: 1 });
    manager.registerHandler('never', { saveState: () => ({ x: 1 }) }, { priority: 2 });
    const done = manager.initiateShutdown();
    await vi.advanceTimersByTimeAsync(700);
    const report = await done;
    const save = report.phases.find((p) => p.phase === 'save_state')!;
    expect(save).toMatchObject({ outcome: 'timed_out', durationMs: 700 });
    expect(report.handlers.filter((h) => h.step === 'saveState').map((h) => [h.name, h.outcome])).toEqual([
      ['slow', 'timed_out'],
      ['never', 'skipped'],
    ]);
    expect(report.phases.find((p) => p.phase === 'cleanup_resources')?.outcome).toBe('completed');
    expect(report.forced).toBe(false);
  });

  it('returns the same promise when initiated twice', async () => {
    const manager = new GracefulShutdownManager(quick);
    let runs = 0;
    manager.registerHandler('count', { cleanup: () => void runs++ });
    const first = manager.initiateShutdown('first');
    const second = manager.initiateShutdown('second');
    expect(second).toBe(first);
    expect(manager.isShutdownInitiated()).toBe(true);
    const report = await first;
    expect(await manager.initiateShutdown()).toBe(report);
    expect(report.reason).toBe('first');
    expect(runs).toBe(1);
  });

  it('forces the rest when the overall deadline passes, still running finalize', async () => {
    const manager = new GracefulShutdownManager({ ...quick, gracefulTimeoutMs: 2000, drainTimeoutMs: 10_000 });
    let finalized = false;
    manager.registerHandler('telemetry', { finalize: () => void (finalized = true) });
    let cleaned = false;
    manager.registerHandler('cleanup', { cleanup: () => void (cleaned = true) });
    const request = manager.trackActiveRequest();
    const done = manager.initiateShutdown();
    await vi.advanceTimersByTimeAsync(1999);
    expect(manager.getPhase()).toBe('finish_active_requests');
    await vi.advanceTimersByTimeAsync(1);
    const report = await done;
    expect(report.forced).toBe(true);
    expect(report.reason).toBe('manual');
    expect(report.phases.map((p) => p.outcome)).toEqual(['completed', 'completed', 'forced', 'skipped', 'skipped']);
    expect(report.requestsAbandoned).toBe(1);
    expect(manager.abandonSignal.aborted).toBe(true);
    expect(cleaned).toBe(false);
    expect(finalized).toBe(true);
    request.release();
  });

  it('forceShutdown before any start skips every phase and reports forced', async () => {
    const manager = new GracefulShutdownManager(quick);
    const steps: string[] = [];
    manager.registerHandler('h', {
      initiate: () => void steps.push('initiate'),
      cleanup: () => void steps.push('cleanup'),
      finalize: () => void steps.push('finalize'),
    });
    const report = await manager.forceShutdown();
    expect(report.forced).toBe(true);
    expect(report.reason).toBe('forced');
    expect(report.phases.every((p) => p.outcome === 'skipped')).toBe(true);
    expect(steps).toEqual(['finalize']);
    expect(await manager.forceShutdown()).toBe(report);
  });

  it('bounds finalize by telemetryFlushTimeoutMs even when the handler allows longer', async () => {
    const manager = new GracefulShutdownManager({ ...quick, telemetryFlushTimeoutMs: 250 });
    manager.registerHandler('flush', { finalize: () => new Promise(() => undefined) }, { timeoutMs: 10_000 });
    const done = manager.initiateShutdown();
    await vi.advanceTimersByTimeAsync(250);
    const report = await done;
    expect(report.telemetryFlushed).toBe(false);
    expect(report.handlers.find((h) => h.step === 'finalize')).toMatchObject({ outcome: 'timed_out', durationMs: 250 });
  });

  it('rejects bad handler registrations with INVALID_CONFIG naming the field', () => {
    const manager = new GracefulShutdownManager(quick);
    manager.registerHandler('dup', {});
    expect(() => manager.registerHandler('dup', {})).toThrow(InvalidConfigError);
    try {
      manager.registerHandler('bad', {}, { timeoutMs: -5 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidConfigError);
      expect((error as InvalidConfigError).path).toBe('shutdown.handlers.bad.timeoutMs');
    }
    expect(() => new GracefulShutdownManager({ drainTimeoutMs: 0 })).toThrow(/shutdown\.drainTimeoutMs/);
    expect(manager.unregisterHandler('dup')).toBe(true);
    expect(manager.unregisterHandler('dup')).toBe(false);
  });
});
