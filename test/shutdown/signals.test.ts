import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GracefulShutdownManager } from '../../src/shutdown/index.js';
import { memoryLogger } from '../support/helpers.js';
import { fakeProcess } from './helpers.js';

const config = { preStopDelayMs: 0, drainTimeoutMs: 10_000, gracefulTimeoutMs: 60_000 };

describe('signals', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('shuts down gracefully on SIGTERM and exits 0', async () => {
    const proc = fakeProcess();
    const exit = vi.fn();
    const manager = new GracefulShutdownManager(config, { processEvents: proc, exit });
    manager.setupSignalHandlers();
    manager.setupSignalHandlers(); // idempotent: one listener per signal
    expect(proc.listenerCount('SIGTERM')).toBe(1);
    expect(proc.listenerCount('SIGINT')).toBe(1);
    expect(proc.listenerCount('SIGHUP')).toBe(0);
    proc.emit('SIGTERM');
    expect(manager.isShutdownInitiated()).toBe(true);
    const report = await manager.initiateShutdown();
    expect(report.reason).toBe('SIGTERM');
    await vi.advanceTimersByTimeAsync(0);
    expect(exit).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('forces on a second signal and exits with forcedExitCode', async () => {
    const proc = fakeProcess();
    const exit = vi.fn();
    const manager = new GracefulShutdownManager({ ...config, forcedExitCode: 3 }, { processEvents: proc, exit });
    manager.setupSignalHandlers();
    const request = manager.trackActiveRequest();
    proc.emit('SIGINT');
    await vi.advanceTimersByTimeAsync(100);
    expect(manager.getPhase()).toBe('finish_active_requests');
    expect(exit).not.toHaveBeenCalled();
    proc.emit('SIGTERM');
    const report = await manager.initiateShutdown();
    await vi.advanceTimersByTimeAsync(0);
    expect(report.forced).toBe(true);
    expect(report.reason).toBe('SIGINT');
    expect(report.requestsAbandoned).toBe(1);
    expect(exit).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(3);
    request.release();
  });

  it('keeps the process when exitProcess is false, and listens to SIGHUP when configured', async () => {
    const proc = fakeProcess();
    const exit = vi.fn();
    const manager = new GracefulShutdownManager({ ...config, exitProcess: false, signals: ['SIGHUP'] }, { processEvents: proc, exit });
    const remove = manager.setupSignalHandlers();
    expect(proc.listenerCount('SIGTERM')).toBe(0);
    proc.emit('SIGHUP');
    await manager.initiateShutdown();
    await vi.advanceTimersByTimeAsync(0);
    expect(exit).not.toHaveBeenCalled();
    remove.release();
    expect(proc.listenerCount('SIGHUP')).toBe(0);
  });

  it('does not exit after a programmatic shutdown', async () => {
    const proc = fakeProcess();
    const exit = vi.fn();
    const manager = new GracefulShutdownManager(config, { processEvents: proc, exit });
    manager.setupSignalHandlers();
    await manager.initiateShutdown();
    await vi.advanceTimersByTimeAsync(0);
    expect(exit).not.toHaveBeenCalled();
    manager.dispose();
    expect(proc.listenerCount('SIGTERM')).toBe(0);
  });
});

describe('uncaught errors', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('logs and counts them without shutting down by default', () => {
    const proc = fakeProcess();
    const logger = memoryLogger();
    const manager = new GracefulShutdownManager(config, { processEvents: proc, logger, exit: vi.fn() });
    const uninstall = manager.installUncaughtErrorHandlers();
    proc.emit('uncaughtException', new TypeError('boom'), 'uncaughtException');
    proc.emit('unhandledRejection', 'plain reason', Promise.resolve());
    expect(manager.getShutdownProgress().uncaughtErrors).toBe(2);
    expect(manager.isShutdownInitiated()).toBe(false);
    const critical = logger.records.filter((r) => r.level === 'critical');
    expect(critical.map((r) => [r.operation, r.metadata?.['error.type'], r.metadata?.['exception.message']])).toEqual([
      ['uncaughtException', 'TypeError', 'boom'],
      ['unhandledRejection', 'string', 'plain reason'],
    ]);
    uninstall.release();
    expect(proc.listenerCount('uncaughtException')).toBe(0);
    expect(proc.listenerCount('unhandledRejection')).toBe(0);
  });

  it('starts a shutdown and exits non-zero when shutdownOnUncaughtError is set', async () => {
    const proc = fakeProcess();
    const exit = vi.fn();
    const manager = new GracefulShutdownManager({ ...config, shutdownOnUncaughtError: true }, { processEvents: proc, exit });
    manager.installUncaughtErrorHandlers();
    proc.emit('uncaughtException', new Error('fatal'), 'uncaughtException');
    const report = await manager.initiateShutdown();
    await vi.advanceTimersByTimeAsync(0);
    expect(report.reason).toBe('uncaughtException');
    expect(report.forced).toBe(false);
    expect(exit).toHaveBeenCalledWith(1);
  });
});
