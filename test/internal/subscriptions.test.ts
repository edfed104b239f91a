import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventEmitter } from '../../src/internal/event.js';
import { telemetryHub } from '../../src/monitoring/hub.js';
import type { BreakerTransition } from '../../src/pipeline.js';
import { GracefulShutdownManager } from '../../src/shutdown/index.js';
import { call, manager } from '../recovery/helpers.js';
import { fakeProcess } from '../shutdown/helpers.js';

const fail = async (): Promise<never> => {
  throw new Error('down');
};

describe('one subscription shape: every onX / addListener returns a Disposable', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('EventEmitter: disposing unsubscribes, a throwing listener is reported and the others still run', () => {
    const errors: unknown[] = [];
    const emitter = new EventEmitter<number>((error) => errors.push(error));
    const seen: string[] = [];
    const a = emitter.subscribe((n) => seen.push(`a${n}`));
    emitter.subscribe(() => {
      throw new Error('listener broke');
    });
    using b = emitter.subscribe((n) => seen.push(`b${n}`));
    emitter.emit(1);
    a[Symbol.dispose]();
    a.release();
    emitter.emit(2);
    expect(seen).toEqual(['a1', 'b1', 'b2']);
    expect(errors).toHaveLength(2);
    expect(b.released).toBe(false);
    expect(emitter.size).toBe(2);
  });

  it('the recovery manager: onBreakerTransition and addListener', async () => {
    const m = manager({
      retry: { maxRetries: 1, baseDelayMs: 10, jitterFactor: 0 },
      timeoutMs: 0,
      circuitBreaker: { failureThreshold: 1, recoveryTimeoutMs: 1000 },
    });
    const transitions: BreakerTransition[] = [];
    const retries: number[] = [];
    const onTransition = m.onBreakerTransition((e) => transitions.push(e));
    const onRetry = m.addListener({ onRetry: (_call, attempt) => retries.push(attempt) });
    expect(Symbol.dispose in onTransition && Symbol.dispose in onRetry).toBe(true);
    onRetry[Symbol.dispose]();
    const first = m
      .policyFor('db')
      .execute(fail, call('db'), true)
      .catch(() => undefined);
    await vi.advanceTimersByTimeAsync(10);
    await first;
    expect(transitions.map((t) => `${t.operation}:${t.from}->${t.to}`)).toEqual(['db:closed->open']);
    expect(retries).toEqual([]);
    onTransition.release();
    await vi.advanceTimersByTimeAsync(1000);
    await m.policyFor('db').execute(async () => 'ok', call('db'), true);
    expect(transitions).toHaveLength(1);
    m.shutdown();
  });

  it('the shutdown manager: onPhaseChange, setupSignalHandlers and installUncaughtErrorHandlers', async () => {
    const proc = fakeProcess();
    const shutdown = new GracefulShutdownManager({ exitProcess: false }, { processEvents: proc, exit: vi.fn() });
    const phases: string[] = [];
    const onPhase = shutdown.onPhaseChange((phase) => phases.push(phase));
    const signals = shutdown.setupSignalHandlers();
    const uncaught = shutdown.installUncaughtErrorHandlers();
    expect([proc.listenerCount('SIGTERM'), proc.listenerCount('uncaughtException')]).toEqual([1, 1]);
    signals[Symbol.dispose]();
    uncaught.release();
    expect([proc.listenerCount('SIGTERM'), proc.listenerCount('uncaughtException')]).toEqual([0, 0]);
    onPhase.release();
    await shutdown.initiateShutdown('test');
    expect(phases).toEqual([]);
    shutdown.dispose();
  });

  it('the telemetry hub: subscribe and onChange', () => {
    let changes = 0;
    const onChange = telemetryHub.onChange(() => changes++);
    const subscription = telemetryHub.subscribe({ intervalMs: 1000, onSnapshot: () => undefined });
    expect(changes).toBe(1);
    subscription[Symbol.dispose]();
    expect(changes).toBe(2);
    onChange[Symbol.dispose]();
    telemetryHub.subscribe({ intervalMs: 1000, onSnapshot: () => undefined }).release();
    expect(changes).toBe(2);
  });
});
