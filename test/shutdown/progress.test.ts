import { describe, expect, it } from 'vitest';
import { ShuttingDownError } from '../../src/errors.js';
import { ShutdownProgress } from '../../src/shutdown/progress.js';
import { HandlerRegistry, MAX_HANDLERS } from '../../src/shutdown/registry.js';

describe('shutdown progress as a state union', () => {
  it('moves running -> initiated -> refusing -> drained -> terminated, each state with its own data', () => {
    const p = new ShutdownProgress();
    expect(p.state).toEqual({ kind: 'running' });
    const a = p.track();
    const b = p.track();
    p.begin('SIGTERM', 1_000);
    expect(p.state).toEqual({ kind: 'initiated', reason: 'SIGTERM', startedAt: 1_000, forced: false });
    expect([p.ready, p.accepting]).toEqual([false, true]);
    p.track().release(); // still admitted while readiness is withdrawn
    p.stopAccepting();
    expect(p.state).toMatchObject({ kind: 'refusing', inFlightAtStop: 2 });
    expect(() => p.track()).toThrow(ShuttingDownError);
    a.release();
    expect(p.endDrain()).toEqual({ drained: 1, abandoned: 1 });
    expect(p.state).toMatchObject({ kind: 'drained', drained: 1, abandoned: 1 });
    b.release();
    p.terminate(1_500);
    expect(p.state).toMatchObject({ kind: 'terminated', finishedAt: 1_500, drained: 1, abandoned: 1, forced: false });
    expect(p.snapshot(3, 2_000)).toMatchObject({
      ready: false,
      shuttingDown: true,
      reason: 'SIGTERM',
      startedAt: new Date(1_000).toISOString(),
      elapsedMs: 1_000,
      activeRequests: 0,
      acceptedRequests: 3,
      rejectedRequests: 1,
      drainedRequests: 1,
      abandonedRequests: 1,
      handlersRegistered: 3,
    });
  });

  it('a force before any start begins, refuses and marks the state forced', () => {
    const p = new ShutdownProgress();
    const held = p.track();
    p.force('forced', 5);
    expect(p.state).toEqual({ kind: 'refusing', reason: 'forced', startedAt: 5, forced: true, inFlightAtStop: 1 });
    expect(p.forced).toBe(true);
    expect(p.endDrain()).toEqual({ drained: 0, abandoned: 1 });
    held.release();
    expect(p.endDrain()).toEqual({ drained: 0, abandoned: 1 }); // draining ends once
  });

  it('keeps the handler tallies and the snapshot in camelCase', () => {
    const p = new ShutdownProgress();
    for (const outcome of ['completed', 'failed', 'timed_out', 'aborted'] as const) p.recordHandler(outcome);
    p.recordCheckpoint();
    p.recordUncaughtError();
    expect(p.tallies).toEqual({ handlersRun: 4, handlersFailed: 1, handlersTimedOut: 1, checkpointsSaved: 1 });
    const snapshot = p.snapshot(0, 0);
    expect(snapshot).toMatchObject({
      phase: 'running',
      ready: true,
      shuttingDown: false,
      reason: null,
      startedAt: null,
      elapsedMs: 0,
      uncaughtErrors: 1,
    });
    expect(Object.keys(snapshot).filter((k) => k.includes('_'))).toEqual([]);
  });
});

describe('the handler registry', () => {
  it('validates each handler once and keeps registration order', () => {
    const registry = new HandlerRegistry(5000);
    registry.register('a', {}, { priority: 5 });
    registry.register('b', {}, { timeoutMs: 10 });
    expect([...registry.values()].map((h) => [h.name, h.priority, h.timeoutMs, h.seq])).toEqual([
      ['a', 5, 5000, 0],
      ['b', 100, 10, 1],
    ]);
    expect(() => registry.register('a', {})).toThrow(expect.objectContaining({ path: 'shutdown.handlers.a' }));
    expect(() => registry.register('', {})).toThrow(expect.objectContaining({ path: 'shutdown.handlers' }));
    expect(() => registry.register('c', null as never)).toThrow(/must be an object/);
    expect(() => registry.register('c', {}, { timeoutMs: 0 })).toThrow(expect.objectContaining({ path: 'shutdown.handlers.c.timeoutMs' }));
    expect(registry.unregister('a')).toBe(true);
    expect(registry.size).toBe(1);
    for (let i = registry.size; i < MAX_HANDLERS; i++) registry.register(`h${i}`, {});
    expect(() => registry.register('one-too-many', {})).toThrow(/at most/);
  });
});
