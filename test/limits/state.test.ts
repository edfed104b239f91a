import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RATE_LIMIT_CHECKPOINT } from '../../src/entries/limits.js';
import { createProductionSystem, RateLimitedError } from '../../src/index.js';
import { checkpointFileName } from '../../src/shutdown/checkpoint.js';
import { RateLimitingManager, type RateLimitConfigInput, type RateLimiterConfigInput } from '../../src/limits/index.js';
import { clockOf } from '../support/clock.js';

const managers: RateLimitingManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.shutdown()));
  vi.useRealTimers();
});

/** A manager on its own monotonic clock, as a fresh process has (its origin differs from the last run's). */
function process(config: RateLimitConfigInput, origin: number) {
  const clock = { now: origin };
  const m = new RateLimitingManager(config, {}, { metrics: false, clock: clockOf(() => clock.now) });
  managers.push(m);
  return { m, clock };
}

function admitted(m: RateLimitingManager, operation: string, user: string | undefined, tries: number): number {
  let n = 0;
  for (let i = 0; i < tries; i++) {
    try {
      void m.checkRateLimit(operation, user);
      n++;
    } catch (error) {
      if (!(error instanceof RateLimitedError)) throw error;
    }
  }
  return n;
}

const POLICIES: [string, RateLimiterConfigInput, number][] = [
  ['token_bucket', { algorithm: 'token_bucket', capacity: 3, refillPerSecond: 1 }, 1000],
  ['fixed_window', { algorithm: 'fixed_window', limit: 3, windowMs: 60_000 }, 60_000],
  ['sliding_window', { algorithm: 'sliding_window', limit: 3, windowMs: 60_000, subWindows: 6 }, 70_000],
  ['leaky_bucket', { algorithm: 'leaky_bucket', capacity: 3, leakPerSecond: 1, maxWaitMs: 0 }, 1000],
];

describe('limiter state across a restart', () => {
  it.each(POLICIES)(
    '%s: an exhausted user stays exhausted after a restore; time since the checkpoint counts',
    (_name, policy, freesAfterMs) => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(1_800_000_000_000);
      const config: RateLimitConfigInput = {
        global: { algorithm: 'fixed_window', limit: 100, windowMs: 60_000 },
        perOperation: { export: policy },
        perUser: policy,
      };
      const before = process(config, 12_345);
      const first = admitted(before.m, 'op', 'alice', 10);
      expect(first).toBeGreaterThan(0);
      admitted(before.m, 'export', undefined, 10);
      const state = JSON.parse(JSON.stringify(before.m.exportState()));

      const after = process(config, 987_654_321);
      // Restored: the cells of alice, the operation and the global limit.
      expect(after.m.restoreState(state)).toBe(3);
      expect(admitted(after.m, 'op', 'alice', 10)).toBe(0);
      expect(admitted(after.m, 'export', undefined, 10)).toBe(0);
      expect(admitted(after.m, 'op', 'bob', 10)).toBe(first);

      // The restarted process is up later than the checkpoint: that time has passed for every limiter.
      const later = process(config, 5);
      vi.setSystemTime(1_800_000_000_000 + freesAfterMs);
      later.m.restoreState(state);
      expect(admitted(later.m, 'op', 'alice', 10)).toBeGreaterThan(0);
    },
  );

  it('skips limiters whose policy changed, keeps users seen since start-up, and leaves full allowances out', () => {
    const policy = { algorithm: 'fixed_window', limit: 2, windowMs: 60_000 } as const;
    const before = process({ perUser: policy }, 0);
    admitted(before.m, 'op', 'alice', 5);
    admitted(before.m, 'op', 'carol', 5);
    void before.m.checkRateLimit('op', 'dave');
    const state = before.m.exportState()!;
    expect(state.limiters).toHaveLength(1);
    expect(state.limiters[0]!.cells.map(([key]) => key).sort()).toEqual(['alice', 'carol', 'dave']);

    const changed = process({ perUser: { ...policy, limit: 5 } }, 0);
    expect(changed.m.restoreState(state)).toBe(0);
    expect(admitted(changed.m, 'op', 'alice', 10)).toBe(5);

    const same = process({ perUser: policy }, 0);
    admitted(same.m, 'op', 'carol', 1);
    expect(same.m.restoreState(state)).toBe(2);
    // carol was seen before the restore: her live state (one call) stands.
    expect(admitted(same.m, 'op', 'carol', 5)).toBe(1);
    expect(admitted(same.m, 'op', 'dave', 5)).toBe(1);
  });

  it('refuses a state that is not one (a checkpoint read back from disk is input) with INVALID_CONFIG naming the field', () => {
    const { m } = process({ perUser: { algorithm: 'fixed_window', limit: 2, windowMs: 60_000 } }, 0);
    expect(() => m.restoreState({ version: 2 })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'rateLimitState.version' }),
    );
    const bad = { version: 1, savedAtMs: Date.now(), limiters: [{ scope: 'user', key: null, policy: {}, cells: [['a', 'x']] }] };
    expect(() => m.restoreState(bad)).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'rateLimitState.limiters.0.cells.0.1' }),
    );
    // Numbers out of the policy's range are skipped, not applied.
    const huge = {
      version: 1,
      savedAtMs: Date.now(),
      limiters: [{ scope: 'user', key: null, policy: { algorithm: 'fixed_window', limit: 2, windowMs: 60_000 }, cells: [['a', 1000, -5]] }],
    };
    expect(m.restoreState(huge)).toBe(0);
    expect(m.restoreState(null)).toBe(0);
  });

  it('createProductionSystem checkpoints the limiters at shutdown and the next system restores them', async () => {
    const checkpointDir = mkdtempSync(join(tmpdir(), 'production-rl-ckpt-'));
    const config = {
      shutdown: { checkpointDir, exitProcess: false },
      rateLimiting: { perUser: { algorithm: 'token_bucket', capacity: 2, refillPerSecond: 0.001 } },
    } as const;
    const op = async () => 'ok';
    const first = createProductionSystem({}, config, { env: {}, startHealthChecks: false });
    await first.ready;
    await first.executeProtectedOperation('search', 'alice', op);
    await first.executeProtectedOperation('search', 'alice', op);
    await expect(first.executeProtectedOperation('search', 'alice', op)).rejects.toBeInstanceOf(RateLimitedError);
    await first.shutdown();
    const saved = JSON.parse(readFileSync(join(checkpointDir, checkpointFileName(RATE_LIMIT_CHECKPOINT)), 'utf8')) as {
      state: { limiters: Array<{ cells: unknown[][] }> };
    };
    expect(saved.state.limiters[0]?.cells[0]?.[0]).toBe('alice');

    const second = createProductionSystem({}, config, { env: {}, startHealthChecks: false });
    try {
      await second.ready;
      await expect(second.executeProtectedOperation('search', 'alice', op)).rejects.toBeInstanceOf(RateLimitedError);
      await expect(second.executeProtectedOperation('search', 'bob', op)).resolves.toBe('ok');
    } finally {
      await second.shutdown();
    }
  });
});
