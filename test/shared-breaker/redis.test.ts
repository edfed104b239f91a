import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAdmin, startRedisServer } from '../limits/support/redis-server.js';
import { freePort, type ChildHandle } from '../support/helpers.js';
import { K, oneTrialPerHalfOpen, opensOnceForAll, replicaConfig, startReplicas, untilEvery } from './support/scenarios.js';

// K = 3 replica processes (the built package) sharing one breaker through a real redis-server.
let port: number;
let server: ChildHandle;
let admin: Redis;

beforeAll(async () => {
  port = await freePort();
  server = await startRedisServer(port);
  admin = await connectAdmin(port);
}, 30_000);
afterAll(async () => {
  admin?.disconnect();
  if (server?.running()) server.child.kill('SIGCONT');
  await server?.stop();
});

/** Commands a publish round's script runs (counted by INFO commandstats as well), and our own INFO. */
const SCRIPT_COMMANDS = new Set([
  'evalsha',
  'eval',
  'info',
  'hmget',
  'hset',
  'pexpire',
  'hgetall',
  'hdel',
  'set',
  'get',
  'incrby',
  'del',
  'hincrby',
]);

const config = (breaker: Record<string, unknown>) => replicaConfig({ type: 'redis', url: `redis://127.0.0.1:${port}` }, breaker);

/** Calls per command name from INFO commandstats. */
async function commandCounts(): Promise<Record<string, number>> {
  const info = await admin.info('commandstats');
  const out: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([a-z|_]+):calls=(\d+)/gm)) out[match[1]!] = Number(match[2]);
  return out;
}

describe('shared circuit breaker, K = 3 replicas on redis-server', () => {
  it('opens after the configured failures over all replicas (not K times that), and every replica refuses within one publish interval', async () => {
    await opensOnceForAll(config, 400);
  }, 90_000);

  it('half-open: exactly one trial reaches the dependency per half-open period, whatever K', async () => {
    await oneTrialPerHalfOpen(config);
  }, 90_000);

  it('closed: 0 Redis commands per protected call on the hot path (INFO commandstats: one EVALSHA per publish round)', async () => {
    const run = await startReplicas(config({ failureThreshold: 5, publishIntervalMs: 100 }));
    try {
      const { replicas } = run;
      await Promise.all(replicas.map((r) => r.startLoop(0, true)));
      await untilEvery(replicas, 'every replica on the shared state', (s) => s.mode === 'shared' && s.replicas === K);
      // INFO, statuses, wait, statuses, INFO: the rounds counted ran inside the INFO window (but for a round
      // that ran at the server before the first INFO and whose reply came after the first status: K at most).
      const commandsBefore = await commandCounts();
      const before = await Promise.all(replicas.map((r) => r.status()));
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const after = await Promise.all(replicas.map((r) => r.status()));
      const commandsAfter = await commandCounts();
      const records = await Promise.all(replicas.map((r) => r.stopLoop()));
      const rounds = after.reduce(
        (n, s, i) => n + s!.publishes + s!.publishFailures - before[i]!.publishes - before[i]!.publishFailures,
        0,
      );
      const delta = (name: string) => (commandsAfter[name] ?? 0) - (commandsBefore[name] ?? 0);
      const calls = records.reduce((n, r) => n + r.calls.length, 0);
      expect(calls).toBeGreaterThan(20 * rounds);
      // Every command a client sent is a publish round's script (the INFO is ours); none is per call.
      const scripts = delta('evalsha') + delta('eval');
      expect(scripts).toBeGreaterThanOrEqual(rounds - K);
      expect(scripts).toBeLessThanOrEqual(rounds + 2 * K);
      const clientCommands = Object.keys(commandsAfter).filter((name) => !SCRIPT_COMMANDS.has(name) && delta(name) > 0);
      expect(clientCommands).toEqual([]);
      // Redis counts the script's own commands too: a dozen at most per round.
      const all = Object.keys(commandsAfter).reduce((n, name) => n + (name === 'info' ? 0 : delta(name)), 0);
      expect(all / scripts).toBeLessThanOrEqual(14);
    } finally {
      await run.stop();
    }
  }, 90_000);

  it('Redis stopped (SIGSTOP) and killed mid-run: no call fails or waits, the local breaker takes over, back to shared after', async () => {
    // A 3 s reply timeout: a call that waited for the store would take that long at least.
    const run = await startReplicas(
      replicaConfig(
        { type: 'redis', url: `redis://127.0.0.1:${port}`, timeoutMs: 3000 },
        { failureThreshold: 5, recoveryTimeoutMs: 600_000, publishIntervalMs: 100 },
      ),
    );
    try {
      const { replicas, dependency } = run;
      await Promise.all(replicas.map((r) => r.startLoop(5)));
      await untilEvery(replicas, 'every replica on the shared state', (s) => s.mode === 'shared' && s.replicas === K);
      server.child.kill('SIGSTOP');
      try {
        await untilEvery(replicas, 'every replica on its local breaker (store stopped)', (s) => s.mode === 'local');
        await new Promise((resolve) => setTimeout(resolve, 1000));
      } finally {
        server.child.kill('SIGCONT');
      }
      await untilEvery(replicas, 'every replica back on the shared state after SIGCONT', (s) => s.mode === 'shared');
      await server.stop('SIGKILL');
      await untilEvery(replicas, 'every replica on its local breaker (store killed)', (s) => s.mode === 'local');
      // The dependency fails while the store is away: each replica's own breaker opens, on its own failures.
      dependency.up = false;
      await untilEvery(replicas, 'every local breaker open', (s) => s.localState === 'open');
      const records = await Promise.all(replicas.map((r) => r.stopLoop()));
      for (const r of records) {
        expect(r.calls.filter((c) => c.outcome.startsWith('error:'))).toEqual([]);
        // A call never waited for the store (a round waits up to timeoutMs, 3 s, in the background); the
        // margin is for a loaded machine's event-loop lag.
        expect(Math.max(...r.calls.map((c) => c.ms))).toBeLessThan(1500);
      }
      // While the dependency was up every call succeeded, outage of the store or not.
      const downSince = dependency.requests.find((q) => !q.up)!.at;
      for (const r of records) expect(r.calls.filter((c) => c.at < downSince && c.outcome !== 'ok')).toEqual([]);
      dependency.up = true;
      server = await startRedisServer(port);
      admin.disconnect();
      admin = await connectAdmin(port);
      // The port was free between the kill and the restart: another process on this machine may have taken
      // it, and then the replicas talk to that one. Say so instead of waiting for a shared state.
      const serverInfo = await admin.info('server');
      expect(serverInfo.match(/^process_id:(\d+)/m)?.[1], 'the restarted redis-server answers on the port').toBe(String(server.child.pid));
      await Promise.all(replicas.map((r) => r.startLoop(5)));
      // Closed: the failures each local breaker counted while the store was away stay local (they would
      // open the fresh shared state for the 10 min recovery time if the first round carried them).
      await untilEvery(
        replicas,
        'every replica back on the shared state after the restart',
        (s) => s.mode === 'shared' && s.sharedState === 'closed',
      );
      const after = await Promise.all(replicas.map((r) => r.stopLoop()));
      for (const r of after) expect(r.calls.filter((c) => c.outcome.startsWith('error:'))).toEqual([]);
    } finally {
      await run.stop();
    }
  }, 120_000);
});
