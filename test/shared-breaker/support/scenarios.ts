import { expect } from 'vitest';
import { eventually } from '../../support/helpers.js';
import { BreakerReplica, startDependency, type Dependency, type LoopRecord } from './replicas.js';

/** K, the replicas of every scenario. */
export const K = 3;

let prefixes = 0;

/** A replica config: `dep.call` names the dependency `inventory`, whose breaker is shared. */
export function replicaConfig(store: Record<string, unknown>, breaker: Record<string, unknown>): unknown {
  return {
    rateLimiting: { store: { timeoutMs: 1000, connectTimeoutMs: 5000, keyPrefix: `sb${process.pid}-${prefixes++}:`, ...store } },
    errorRecovery: { defaults: { retry: false, timeoutMs: 5000, dependency: 'inventory' } },
    dependencies: { inventory: { circuitBreaker: { shared: true, ...breaker } } },
    healthChecks: { enabled: false },
  };
}

/** K replicas on one config, plus a dependency; `stop()` ends them all. */
export async function startReplicas(
  config: unknown,
  env: Record<string, string> = {},
): Promise<{ replicas: BreakerReplica[]; dependency: Dependency; stop: () => Promise<void> }> {
  const dependency = await startDependency();
  const replicas = await Promise.all(
    Array.from({ length: K }, () => BreakerReplica.start(config, { ...env, DEPENDENCY_URL: dependency.url })),
  );
  return {
    replicas,
    dependency,
    stop: async () => {
      await Promise.all(replicas.map((r) => r.stop()));
      await dependency.close();
    },
  };
}

/** Waits until every replica's shared breaker reports `check` true. */
export async function untilEvery(
  replicas: BreakerReplica[],
  what: string,
  check: (s: NonNullable<Awaited<ReturnType<BreakerReplica['status']>>>) => boolean,
  timeoutMs = 20_000,
): Promise<void> {
  let last: unknown[] = [];
  await eventually(
    async () => {
      const all = await Promise.all(replicas.map((r) => r.status()));
      last = all;
      return all.every((s) => s !== undefined && check(s));
    },
    // The statuses say which replica is behind and why (its mode, states, last error, rounds).
    { what, timeoutMs, intervalMs: 50, details: () => `last statuses:\n${last.map((s) => JSON.stringify(s)).join('\n')}` },
  );
}

/**
 * A dependency failing for every replica: the shared breaker opens after about `threshold` failures over all
 * replicas (fewer than K x threshold, and no replica's own breaker opened), and every replica's breaker opens
 * within one publish interval of the first (plus `marginMs` for the round trip and timer lateness).
 */
export async function opensOnceForAll(config: (breaker: Record<string, unknown>) => unknown, marginMs: number): Promise<void> {
  const threshold = 30;
  const intervalMs = 200;
  const run = await startReplicas(config({ failureThreshold: threshold, recoveryTimeoutMs: 600_000, publishIntervalMs: intervalMs }));
  try {
    const { replicas, dependency } = run;
    await Promise.all(replicas.map((r) => r.startLoop(25)));
    await untilEvery(replicas, 'every replica on the shared state with 3 replicas', (s) => s.mode === 'shared' && s.replicas === K);
    dependency.up = false;
    await untilEvery(replicas, 'every replica to see the shared breaker open', (s) => s.sharedState === 'open');
    const records: LoopRecord[] = await Promise.all(replicas.map((r) => r.stopLoop()));
    const failed = dependency.requests.filter((r) => !r.up).length;
    expect(failed).toBeGreaterThanOrEqual(threshold);
    expect(failed).toBeLessThan(K * threshold);
    const statuses = await Promise.all(replicas.map((r) => r.status()));
    // No replica counted threshold failures of its own: the shared counts opened it.
    for (const s of statuses) expect(s!.localState).toBe('closed');
    const opened = records.map((r) => r.transitions.find((t) => t.to === 'open')!.at);
    expect(Math.max(...opened) - Math.min(...opened)).toBeLessThanOrEqual(intervalMs + marginMs);
    for (const r of records) expect(r.calls.filter((c) => c.outcome.startsWith('error:'))).toEqual([]);
    // Once open, nothing more reached the dependency (no half-open in this run).
    const lastOpen = Math.max(...opened);
    expect(dependency.requests.filter((r) => r.at > lastOpen + 100)).toEqual([]);
  } finally {
    await run.stop();
  }
}

/**
 * Half-open with K replicas calling all the time: one trial per half-open period reaches the dependency
 * (consecutive trials at least a recovery time apart), then a successful trial closes the breaker everywhere.
 */
export async function oneTrialPerHalfOpen(config: (breaker: Record<string, unknown>) => unknown): Promise<void> {
  const recoveryMs = 800;
  const run = await startReplicas(config({ failureThreshold: 3, recoveryTimeoutMs: recoveryMs, publishIntervalMs: 100 }));
  try {
    const { replicas, dependency } = run;
    dependency.up = false;
    await Promise.all(replicas.map((r) => r.startLoop(10)));
    await untilEvery(replicas, 'every replica to see the shared breaker open', (s) => s.sharedState === 'open');
    const from = Date.now();
    const startIndex = dependency.requests.length;
    await eventually(() => dependency.requests.slice(startIndex).length >= 3, {
      what: 'three half-open trials',
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    const trials = dependency.requests.slice(startIndex).filter((r) => r.at > from);
    for (let i = 1; i < trials.length; i++) {
      // The next trial waits a full recovery time after the failed one reopened the breaker.
      expect(trials[i]!.at - trials[i - 1]!.at).toBeGreaterThanOrEqual(recoveryMs - 20);
    }
    dependency.up = true;
    await untilEvery(replicas, 'every replica closed after a successful trial', (s) => s.sharedState === 'closed');
    const records = await Promise.all(replicas.map((r) => r.stopLoop()));
    for (const r of records) expect(r.calls.filter((c) => c.outcome.startsWith('error:'))).toEqual([]);
    expect(records.every((r) => r.calls.some((c) => c.outcome === 'open'))).toBe(true);
  } finally {
    await run.stop();
  }
}
