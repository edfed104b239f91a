'use strict';
// Where the preload's start-up time goes, package by package: `node bench/preload-profile.cjs [otlp|disabled]`
// (after `npm run build`). It runs `node -r <this file> -r ./instrumentation -e "void 0"`; loaded with -r, this
// file wraps Module._load and charges each module's own load time (resolve, read, compile, run its top level;
// the modules it loads in turn are charged to theirs) to its package, and prints the table at exit. The
// wrapping adds a little per module, so the sum is somewhat above what `npm run bench` reports.
const Module = require('node:module');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

if (require.main === module) {
  const { spawnSync } = require('node:child_process');
  const { createServer } = require('node:net');
  const mode = process.argv[2] ?? 'default';
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => {
      const env = { ...process.env, OTEL_EXPORTER_PROMETHEUS_PORT: String(port) };
      for (const key of Object.keys(env)) if (/^(OTEL_(?!EXPORTER_PROMETHEUS_PORT)|PRODUCTION_)/.test(key)) delete env[key];
      if (mode === 'otlp') env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
      if (mode === 'disabled') env.OTEL_SDK_DISABLED = 'true';
      const root = path.join(__dirname, '..');
      const r = spawnSync(process.execPath, ['-r', __filename, '-r', './instrumentation', '-e', 'void 0'], {
        cwd: root,
        env,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      process.exitCode = r.status ?? 1;
    });
  });
} else {
  const SETUP = 'set-up: providers, the system, the admin server (src/register/index.ts)';
  const own = new Map();
  const count = new Map();
  const stack = [];
  let preloadMs;
  const packageOf = (file) => {
    const at = file.lastIndexOf(`node_modules${path.sep}`);
    // The register entry's own top level is the set-up itself (its imports are charged to their packages).
    if (file.endsWith(path.join('register', 'index.js'))) return SETUP;
    if (at < 0) return file.includes(`${path.sep}dist${path.sep}`) ? '@llmkg/production (dist)' : `(${path.relative(process.cwd(), file)})`;
    const parts = file.slice(at + 'node_modules/'.length).split(path.sep);
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  };
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    let file;
    try {
      file = Module._resolveFilename(request, parent, isMain);
    } catch {
      return load.apply(this, arguments);
    }
    if (Module._cache[file] || !path.isAbsolute(file)) return load.apply(this, arguments);
    const frame = { children: 0 };
    stack.push(frame);
    const started = performance.now();
    try {
      return load.apply(this, arguments);
    } finally {
      const took = performance.now() - started;
      stack.pop();
      if (stack.length > 0) stack[stack.length - 1].children += took;
      else if (file.includes(`${path.sep}instrumentation${path.sep}`)) preloadMs = took;
      const name = packageOf(file);
      own.set(name, (own.get(name) ?? 0) + took - frame.children);
      count.set(name, (count.get(name) ?? 0) + 1);
    }
  };
  process.on('exit', () => {
    const setup = own.get(SETUP) ?? 0;
    const loading = [...own.values()].reduce((a, b) => a + b, 0) - setup;
    const modules = [...count.values()].reduce((a, b) => a + b, 0) - 1;
    const rows = [...own].sort((a, b) => b[1] - a[1]);
    const out = [
      `preload ${preloadMs?.toFixed(0)} ms: loading ${modules} modules ${loading.toFixed(0)} ms, set-up ${setup.toFixed(0)} ms`,
      '    ms  modules  package',
    ];
    for (const [name, ms] of rows) if (ms >= 1) out.push(`${ms.toFixed(0).padStart(6)}  ${String(count.get(name)).padStart(7)}  ${name}`);
    process.stderr.write(`${out.join('\n')}\n`);
  });
}
