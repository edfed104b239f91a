// Start-up time the preload adds: `node -r ./instrumentation -e "..."` against plain `node -e "..."`, wall time
// of the whole child process (exit included), median of several runs each. The variants run interleaved, so
// a change in the machine's load shifts them all alike. Where the time goes, module by module:
// `node bench/preload-profile.cjs` (see docs/benchmarks.md).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNS = 9;

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const base = {};
for (const [k, v] of Object.entries(process.env)) if (!/^(OTEL_|PRODUCTION_|npm_)/.test(k)) base[k] = v;
base.OTEL_EXPORTER_PROMETHEUS_PORT = String(await freePort());

const script = ['-e', 'void 0'];
const preload = ['--require', './instrumentation', ...script];
const variants = {
  bare: { args: script, env: base },
  preload: { args: preload, env: base },
  // Nothing listens there: the exporters are built, and a bare script sends nothing before it exits.
  otlp: { args: preload, env: { ...base, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}` } },
  disabled: { args: preload, env: { ...base, OTEL_SDK_DISABLED: 'true' } },
};

const times = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (let i = 0; i < RUNS; i++) {
  for (const [name, { args, env }] of Object.entries(variants)) {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: ROOT, env, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} (${name}) exited with ${r.status}`);
    times[name].push(Number(process.hrtime.bigint() - start) / 1e6);
  }
}
const median = (name) => Math.round(times[name].sort((a, b) => a - b)[Math.floor(RUNS / 2)]);
const [bare, withPreload, otlp, disabled] = ['bare', 'preload', 'otlp', 'disabled'].map(median);
process.stdout.write(
  `${JSON.stringify({
    startup_bare_ms: bare,
    startup_preload_ms: withPreload,
    startup_preload_otlp_ms: otlp,
    startup_preload_sdk_disabled_ms: disabled,
    startup_added_ms: withPreload - bare,
    startup_added_otlp_ms: otlp - bare,
  })}\n`,
);
