// Retries and deadlines between real processes (fixtures shared with test/deadlines/):
// - retry_amplification_outage / _naive: attempts per request a client offering a steady 100 calls a second
//   sends to a downstream answering 503 to everything for 10 s, with maxRetries 2 and no breaker, with a retry
//   budget (ratio 0.2) and without (naive);
// - deadline_overshoot_ms_p99: a chain of three services under the preload (A -> B -> C over HTTP), the client
//   giving 200 ms and C working 500 ms: p99 of how far past its deadline each protected operation ended.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { report } from './_measure.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = join(root, 'test/deadlines/fixtures');
const children = new Set();

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function cleanEnv(extra) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(OTEL_|PRODUCTION_|npm_)/.test(key)) env[key] = value;
  return { ...env, ...extra };
}

/** Starts `args`; resolves with it and its stdout lines (live) once it prints `waitFor`, or, with null, once it exits 0. */
function start(args, env, waitFor = 'LISTENING') {
  const child = spawn(process.execPath, args, { cwd: root, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'ignore'] });
  children.add(child);
  const lines = [];
  let partial = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop();
      lines.push(...parts);
      if (waitFor !== null && parts.includes(waitFor)) resolve({ child, lines });
    });
    child.once('exit', (code) => {
      children.delete(child);
      if (waitFor === null && code === 0) resolve({ child, lines });
      else reject(new Error(`${args.join(' ')} exited with ${code}`));
    });
  });
}

async function stormAttemptsPerRequest(target, mode) {
  const { lines } = await start(
    [join(fixtures, 'storm-client.mjs')],
    { TARGET: target, MODE: mode, RATE: '100', DURATION_MS: '10000' },
    null,
  );
  return JSON.parse(lines.find((line) => line.startsWith('{'))).attemptsPerRequest;
}

async function overshootP99() {
  const service = async (role, next, extra = {}) => {
    const [port, admin] = [await freePort(), await freePort()];
    const env = {
      ROLE: role,
      NEXT: next,
      PORT: String(port),
      OTEL_EXPORTER_PROMETHEUS_PORT: String(admin),
      PRODUCTION_LOG_LEVEL: 'critical',
      ...extra,
    };
    const started = await start(['--require', './instrumentation', join(fixtures, 'chain-service.cjs')], env);
    return { url: `http://127.0.0.1:${port}/`, lines: started.lines };
  };
  const c = await service('C', '', { WORK_MS: '500', FAIL_EVERY: '3' });
  const b = await service('B', c.url);
  const a = await service('A', b.url);
  const call = () => fetch(a.url, { method: 'POST', headers: { 'production-deadline-ms': '200' } }).then((r) => r.text());
  await Promise.all(Array.from({ length: 8 }, call));
  const skip = [a, b, c].map((s) => s.lines.length);
  for (let round = 0; round < 50; round++) await Promise.all(Array.from({ length: 4 }, call));
  const overshoots = [a, b, c]
    .flatMap((s, i) => s.lines.slice(skip[i]))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line).overshootMs)
    .sort((x, y) => x - y);
  return overshoots[Math.ceil(0.99 * overshoots.length) - 1];
}

try {
  const port = await freePort();
  await start([join(fixtures, 'storm-downstream.mjs')], { PORT: String(port) });
  const target = `http://127.0.0.1:${port}/outage`;
  const out = {
    retry_amplification_outage: await stormAttemptsPerRequest(target, 'budget'),
    retry_amplification_outage_naive: await stormAttemptsPerRequest(target, 'naive'),
    deadline_overshoot_ms_p99: await overshootP99(),
  };
  report(out);
} finally {
  for (const child of children) child.kill('SIGKILL');
}
process.exit(0);
