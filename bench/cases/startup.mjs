// Start-up time the preload adds: `node -r ./instrumentation -e "..."` against plain `node -e "..."`,
// median of several runs each (wall time of the whole child process, exit included).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNS = 7;

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const env = {};
for (const [k, v] of Object.entries(process.env)) if (!/^(OTEL_|PRODUCTION_)/.test(k)) env[k] = v;
env.OTEL_EXPORTER_PROMETHEUS_PORT = String(await freePort());

function median(args) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: ROOT, env, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${r.status}`);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(RUNS / 2)]);
}

const script = ['-e', 'void 0'];
const bare = median(script);
const preload = median(['--require', './instrumentation', ...script]);
const disabled = (env.OTEL_SDK_DISABLED = 'true', median(['--require', './instrumentation', ...script]));
process.stdout.write(`${JSON.stringify({ startup_bare_ms: bare, startup_preload_ms: preload, startup_preload_sdk_disabled_ms: disabled, startup_added_ms: preload - bare })}\n`);
