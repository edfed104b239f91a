// `npm run demo`: starts the service under the preload as a child, drives it with load and faults for
// DEMO_SECONDS (default 60) with a progress line, then prints what happened: calls by outcome, rejections,
// breaker openings and the alerts that fired. Traffic goes only to the child on 127.0.0.1. Six steady users
// each stay well under the per-user limit; one greedy user bursts past it, so only it is rate limited.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { AlertTracker } from './demo-alerts.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const seconds = Number(process.env.DEMO_SECONDS ?? 60);
if (!Number.isFinite(seconds) || seconds < 5 || seconds > 3600) {
  process.stderr.write(`DEMO_SECONDS must be a number from 5 to 3600, got "${process.env.DEMO_SECONDS}"\n`);
  process.exit(1);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/** The per-user limit the service runs with, and what each steady user sends at most (a third of it). */
const USER_LIMIT_RPS = 30;
const STEADY_USER_RPS = 10;

const [port, adminPort] = [await freePort(), await freePort()];
const stateDir = mkdtempSync(join(tmpdir(), 'kg-demo-'));
const base = `http://127.0.0.1:${port}`;
const admin = `http://127.0.0.1:${adminPort}`;
const child = spawn(process.execPath, ['--import', './instrumentation/register.mjs', 'examples/knowledge-graph/server.mjs'], {
  cwd: ROOT,
  stdio: ['ignore', 'ignore', 'pipe'],
  env: {
    ...process.env,
    PORT: String(port),
    OTEL_EXPORTER_PROMETHEUS_PORT: String(adminPort),
    OTEL_SERVICE_NAME: process.env.OTEL_SERVICE_NAME ?? 'knowledge-graph-demo',
    PRODUCTION_ALERT_INTERVAL_MS: '1000',
    PRODUCTION_RATE_LIMIT_USER_RPS: String(USER_LIMIT_RPS),
    PRODUCTION_CHECKPOINT_DIR: stateDir,
    KG_FAST_ALERTS: 'true',
  },
});
let childLog = '';
child.stderr.on('data', (d) => (childLog = (childLog + d).slice(-10_000)));
const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));

async function waitUntilUp() {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${admin}/readyz`)).ok && (await fetch(`${base}/stats`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`the service did not start:\n${childLog}`);
}

const counts = { calls: 0, ok: 0, client_errors: 0, failed: 0, network_errors: 0, by_code: /** @type {Record<string, number>} */ ({}) };
/** Calls and rate-limit refusals of the steady users and of the greedy one. */
const byUser = { steady: { calls: 0, rate_limited: 0 }, greedy: { calls: 0, rate_limited: 0 } };
async function call(path, init = {}, user = 'user-1') {
  counts.calls++;
  const kind = user === 'greedy' ? byUser.greedy : user.startsWith('user-') ? byUser.steady : undefined;
  if (kind) kind.calls++;
  try {
    const res = await fetch(`${base}${path}`, { ...init, headers: { 'x-user-id': user, ...init.headers } });
    const body = await res.json().catch(() => ({}));
    if (res.ok) counts.ok++;
    else {
      const code = body?.error?.code ?? String(res.status);
      counts.by_code[code] = (counts.by_code[code] ?? 0) + 1;
      if (kind && code === 'RATE_LIMITED') kind.rate_limited++;
      if (res.status < 500 && res.status !== 429) counts.client_errors++;
      else counts.failed++;
    }
    return body;
  } catch {
    counts.network_errors++;
    return undefined;
  }
}

/** Seeding waits out its own rate limit instead of counting refusals. */
async function seed(path, init) {
  for (;;) {
    const res = await fetch(`${base}${path}`, { ...init, headers: { 'x-user-id': 'seeder' } });
    if (res.status !== 429) return;
    await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
  }
}

const alerts = new AlertTracker();
async function watchAlerts() {
  try {
    alerts.update(await (await fetch(`${admin}/metrics`)).text());
  } catch {
    // the admin server is going away at the end
  }
}

// The script: seed, steady load, then faults on two routes, then recovery.
const phases = [
  { at: 0.0, label: 'steady load', faults: [] },
  {
    at: 0.2,
    label: 'graph.path failing 90%, graph.search +250 ms',
    faults: [
      { route: 'graph.path', errorRate: 0.9 },
      { route: 'graph.search', latencyMs: 250 },
    ],
  },
  {
    at: 0.65,
    label: 'faults cleared, breaker recovering',
    faults: [
      { route: 'graph.path', errorRate: 0 },
      { route: 'graph.search', latencyMs: 0 },
    ],
  },
];

try {
  await waitUntilUp();
  process.stdout.write(
    `The service is at ${base} (GET / lists its routes). Watch ${admin}/status while the demo runs (metrics: ${admin}/metrics).\n`,
  );
  const words = ['graph', 'node', 'edge', 'path', 'search', 'query', 'index', 'vertex', 'label', 'schema'];
  for (let i = 0; i < 60; i++)
    await seed('/entities', {
      method: 'POST',
      body: JSON.stringify({ id: `e${i}`, name: `${words[i % 10]} ${words[(i * 7) % 10]} ${i}`, type: i % 3 === 0 ? 'Concept' : 'Thing' }),
    });
  for (let i = 1; i < 60; i++)
    await seed('/relations', {
      method: 'POST',
      body: JSON.stringify({ from: `e${i}`, to: `e${Math.floor(i / 2)}`, type: i % 2 ? 'part_of' : 'related_to' }),
    });

  const started = Date.now();
  const endAt = started + seconds * 1000;
  let phase = -1;
  // Each steady user waits 1/STEADY_USER_RPS after each answer, so it never sends faster than that.
  const workers = Array.from({ length: 6 }, async (_, w) => {
    for (let n = 0; Date.now() < endAt; n++) {
      const pick = n % 4;
      if (pick === 0) await call(`/search?q=${words[(n + w) % 10]}`, {}, `user-${w}`);
      else if (pick === 1) await call(`/entities/e${(n * 7 + w) % 60}/neighbours`, {}, `user-${w}`);
      else if (pick === 2) await call(`/path?from=e${(n + w) % 60}&to=e${(n * 3) % 60}`, {}, `user-${w}`);
      else await call(`/entities/e${(n + w) % 60}`, {}, `user-${w}`);
      await sleep(1000 / STEADY_USER_RPS);
    }
  });
  // One greedy client bursts past its per-user rate limit.
  const greedy = (async () => {
    while (Date.now() < endAt) {
      await Promise.all(Array.from({ length: 40 }, () => call('/search?q=node', {}, 'greedy')));
      await sleep(1000);
    }
  })();
  const tty = process.stdout.isTTY;
  let lastPrinted = 0;
  while (Date.now() < endAt) {
    const fraction = (Date.now() - started) / (endAt - started);
    while (phase + 1 < phases.length && fraction >= phases[phase + 1].at) {
      phase++;
      for (const f of phases[phase].faults) await call('/admin/faults', { method: 'POST', body: JSON.stringify(f) }, 'demo-admin');
    }
    await watchAlerts();
    const left = Math.max(0, Math.round((endAt - Date.now()) / 1000));
    const line = `[${String(left).padStart(3)} s left] ${phases[phase].label.padEnd(46)} calls ${counts.calls}  ok ${counts.ok}  rejected/failed ${counts.failed}  alerts firing ${alerts.now.size}, resolved ${alerts.resolved.length}`;
    if (tty) process.stdout.write(`\r${line}`);
    else if (Date.now() - lastPrinted >= 10_000) {
      process.stdout.write(`${line}\n`);
      lastPrinted = Date.now();
    }
    await sleep(1000);
  }
  await Promise.all([...workers, greedy]);
  await watchAlerts();
  if (tty) process.stdout.write('\n');
  const stats = /** @type {any} */ (await call('/stats', {}, 'demo-admin'));
  const refusalCodes = ['RATE_LIMITED', 'CIRCUIT_OPEN', 'BULKHEAD_REJECTED', 'RESOURCE_EXHAUSTED', 'SHUTTING_DOWN', 'TIMEOUT'];
  const refusals = Object.fromEntries(refusalCodes.filter((c) => counts.by_code[c]).map((c) => [c, counts.by_code[c]]));
  const rejections = Object.values(refusals).reduce((n, c) => n + c, 0);
  child.kill('SIGTERM');
  const code = await exited;
  process.stdout.write(
    [
      '',
      `What happened in ${seconds} s:`,
      `  calls             ${counts.calls} (${counts.ok} ok, ${counts.client_errors} client errors, ${counts.failed} failed or refused, ${counts.network_errors} network errors)`,
      `  rejections        ${rejections} ${JSON.stringify(refusals)}`,
      `  errors            ${counts.by_code.INTERNAL ?? 0} injected faults that outlasted their retries`,
      `  steady users      ${byUser.steady.calls} calls, ${byUser.steady.rate_limited} rate limited (6 users, each at most ${STEADY_USER_RPS}/s against a ${USER_LIMIT_RPS}/s limit)`,
      `  greedy user       ${byUser.greedy.calls} calls, ${byUser.greedy.rate_limited} rate limited (bursts of 40 a second)`,
      `  breaker openings  ${stats?.service?.breaker_openings ?? 'unknown'}`,
      `  alerts            ${alerts.describe()}`,
      `  shutdown          exit code ${code}; the graph was checkpointed (to a temporary directory the demo removes)`,
      '',
    ].join('\n'),
  );
} catch (error) {
  child.kill('SIGKILL');
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  rmSync(stateDir, { recursive: true, force: true });
}
