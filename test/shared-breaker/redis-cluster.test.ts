import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type LocalRedisCluster } from '../../scripts/redis-cluster.mjs';
import { oneTrialPerHalfOpen, opensOnceForAll, replicaConfig, startReplicas, untilEvery, K } from './support/scenarios.js';

// K = 3 replica processes sharing one breaker through a real 3-master Redis Cluster (its keys share one
// hash tag, so every round is one script on the master that owns the slot).
let cluster: LocalRedisCluster;

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, nodeTimeoutMs: 1000 });
}, 90_000);
afterAll(async () => {
  await cluster?.stop();
});

const config = (breaker: Record<string, unknown>) => replicaConfig({ type: 'redis_cluster', nodes: cluster.seeds }, breaker);

describe('shared circuit breaker, K = 3 replicas on a 3-master Redis Cluster', () => {
  it('opens after the configured failures over all replicas (not K times that), and every replica refuses within one publish interval', async () => {
    await opensOnceForAll(config, 400);
  }, 90_000);

  it('half-open: exactly one trial reaches the dependency per half-open period, whatever K', async () => {
    await oneTrialPerHalfOpen(config);
  }, 90_000);

  it('closed: the only commands are the publish rounds, on the one master that owns the breaker', async () => {
    const admins = cluster.ports.map((port) => new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 }));
    for (const admin of admins) {
      admin.on('error', () => undefined);
      await admin.connect();
    }
    const scripts = async () =>
      Promise.all(admins.map(async (a) => Number(/cmdstat_evalsha:calls=(\d+)/.exec(await a.info('commandstats'))?.[1] ?? 0)));
    const run = await startReplicas(config({ publishIntervalMs: 100 }));
    try {
      const { replicas } = run;
      await Promise.all(replicas.map((r) => r.startLoop(0, true)));
      await untilEvery(replicas, 'every replica on the shared state', (s) => s.mode === 'shared' && s.replicas === K);
      // INFO, statuses, wait, statuses, INFO (see the redis-server twin of this test for the K of slack).
      const scriptsBefore = await scripts();
      const before = await Promise.all(replicas.map((r) => r.status()));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const after = await Promise.all(replicas.map((r) => r.status()));
      const scriptsAfter = await scripts();
      const records = await Promise.all(replicas.map((r) => r.stopLoop()));
      const rounds = after.reduce((n, s, i) => n + s!.publishes - before[i]!.publishes, 0);
      const perNode = scriptsAfter.map((n, i) => n - scriptsBefore[i]!);
      expect(perNode.filter((n) => n > 0)).toHaveLength(1);
      expect(Math.max(...perNode)).toBeGreaterThanOrEqual(rounds - K);
      expect(Math.max(...perNode)).toBeLessThanOrEqual(rounds + 2 * K);
      expect(records.reduce((n, r) => n + r.calls.length, 0)).toBeGreaterThan(20 * rounds);
    } finally {
      await run.stop();
      for (const admin of admins) admin.disconnect();
    }
  }, 90_000);
});
