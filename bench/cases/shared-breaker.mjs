// Shared circuit breaker (circuitBreaker.shared) on a redis-server started here (free port, stopped at the end).
// Keys (null without /usr/bin/redis-server):
// - shared_breaker_ns: ns per awaited call of the full pipeline (as full_ns, with the process's store on Redis
//   and no rate limit, so no call goes to Redis) with the operation's breaker shared; shared_breaker_full_ns:
//   the same with the breaker local, in the same process, measured in alternation. Their ratio is the
//   hot-path cost of the setting (target: within 5 %). Four fresh processes, best kept.
// - shared_breaker_open_ms: K = 3 replica processes call an operation every 5 ms; at T0 its dependency starts
//   failing (failureThreshold 5, publishIntervalMs 100): ms from T0 until all three refuse with CIRCUIT_OPEN,
//   the median of three runs.
import { execFileSync, fork, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPort } from '../../scripts/redis-cluster.mjs';
import { nsPerCall, report } from './_measure.mjs';

const self = fileURLToPath(import.meta.url);
const [mode, url] = process.argv.slice(2);

function systemConfig(redisUrl, shared, breaker = {}, recovery = {}) {
  return {
    rateLimiting: { store: { type: 'redis', url: redisUrl, timeoutMs: 1000 } },
    errorRecovery: {
      defaults: {
        bulkhead: { maxConcurrent: 1000, maxQueue: 0 },
        circuitBreaker: { shared, publishIntervalMs: 100, ...breaker },
        ...recovery,
      },
    },
    healthChecks: { enabled: false },
  };
}

async function system(redisUrl, shared, breaker, recovery) {
  const { createProductionSystem } = await import('../../dist/esm/index.js');
  const s = createProductionSystem({}, systemConfig(redisUrl, shared, breaker, recovery), { env: {} });
  await s.components.limits.connect();
  return s;
}

if (mode === 'hot') {
  const { productionMetricReaders } = await import('../../dist/esm/sdk/index.js');
  const { installOtel } = await import('./_otel.mjs');
  installOtel(productionMetricReaders());
  // One process, two operations (one shared, one local), measured in alternation: on a loaded machine two
  // processes differ by more than the 5 % this is about.
  const s = await system(url, false);
  // Which of two operations is the shared one alternates between processes: measured A/A, the operation made
  // second ran 15-20 % faster here, whatever its breaker.
  const names = process.argv[4] === 'b' ? { shared: 'op_b', local: 'op_a' } : { shared: 'op_a', local: 'op_b' };
  s.configureOperation('op_a', { circuitBreaker: { shared: names.shared === 'op_a' } });
  s.configureOperation('op_b', { circuitBreaker: { shared: names.shared === 'op_b' } });
  const noop = async () => 1;
  await s.executeProtectedOperation('op_a', 'user-1', noop);
  await s.executeProtectedOperation('op_b', 'user-1', noop);
  // Let the first publish round come back, so the shared breaker is on the shared state.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const best = { local: Infinity, shared: Infinity };
  const measure = (name) => nsPerCall(() => s.executeProtectedOperation(names[name], 'user-1', noop), { rounds: 3 });
  // A B B A ...: neither variant always runs right after the other.
  for (let i = 0; i < 6; i++) {
    for (const name of i % 2 === 0 ? ['local', 'shared'] : ['shared', 'local']) best[name] = Math.min(best[name], await measure(name));
  }
  const status = s.getSystemStatus().errorRecovery.sharedCircuitBreakers[0];
  if (status?.mode !== 'shared') throw new Error(`the shared breaker is not on the shared state: ${JSON.stringify(status)}`);
  process.stdout.write(JSON.stringify(best) + '\n');
  process.exit(0);
} else if (mode === 'replica') {
  // No retries: a failing call's backoff (100 + 200 + 400 ms by default) would be measured, not the breaker.
  const s = await system(url, true, { failureThreshold: 5, recoveryTimeoutMs: 600_000 }, { retry: false });
  let failAt = Infinity;
  let refusedAt;
  const keepAlive = setInterval(() => {}, 1000);
  process.on('message', (m) => (failAt = m.failAt));
  const loop = async () => {
    while (refusedAt === undefined) {
      try {
        await s.executeProtectedOperation('op', 'u', async () => {
          if (Date.now() >= failAt) throw new Error('dependency down');
        });
      } catch (error) {
        if (error.code === 'CIRCUIT_OPEN') refusedAt = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    process.send({ refusedAt });
    clearInterval(keepAlive);
    await s.shutdown();
    process.exit(0);
  };
  process.send({ ready: true });
  void loop();
} else {
  if (!existsSync('/usr/bin/redis-server')) {
    report({ shared_breaker_ns: null, shared_breaker_full_ns: null, shared_breaker_open_ms: null });
    process.exit(0);
  }
  const port = await freePort();
  const server = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  try {
    await waitForPort(port);
    const redisUrl = `redis://127.0.0.1:${port}`;
    const out = { shared_breaker_ns: Infinity, shared_breaker_full_ns: Infinity };
    for (const order of ['a', 'b', 'a', 'b']) {
      const line = execFileSync(process.execPath, [self, 'hot', redisUrl, order], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const best = JSON.parse(line.trim());
      out.shared_breaker_full_ns = Math.min(out.shared_breaker_full_ns, best.local);
      out.shared_breaker_ns = Math.min(out.shared_breaker_ns, best.shared);
    }
    const opens = [];
    for (let run = 0; run < 3; run++) {
      // A fresh key prefix per run: each opens a fresh shared state.
      const replicas = Array.from({ length: 3 }, () =>
        fork(self, ['replica', `${redisUrl}/`], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env } }),
      );
      await Promise.all(replicas.map((r) => new Promise((resolve) => r.once('message', resolve))));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const failAt = Date.now();
      const refused = Promise.all(replicas.map((r) => new Promise((resolve) => r.once('message', (m) => resolve(m.refusedAt)))));
      for (const r of replicas) r.send({ failAt });
      opens.push(Math.max(...(await refused)) - failAt);
      await Promise.all(replicas.map((r) => new Promise((resolve) => (r.exitCode !== null ? resolve() : r.once('exit', resolve)))));
      const { Redis } = await import('ioredis');
      const admin = new Redis(redisUrl);
      await admin.flushall();
      admin.disconnect();
    }
    opens.sort((a, b) => a - b);
    report({ ...out, shared_breaker_open_ms: opens[1] });
  } finally {
    server.kill('SIGKILL');
  }
}
