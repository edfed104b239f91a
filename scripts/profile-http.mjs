// Where a protected request's CPU goes on a real server: runs bench/http/server.cjs under our preload (every
// request one executeProtectedOperation, or another variant with --variant=bare|otel_sdk|preload) with
// `--cpu-prof`, loads it with the bench's load generator, and splits the profile's samples by the script
// each sampled function belongs to (self time): OTel instrumentation, context manager (AsyncLocalStorage and
// async hooks), OTel SDK (spans, metrics), our layer (dist/ and cockatiel), Node (http, net, streams), GC,
// other. Prints the split as % of busy time and µs per request, and the top functions.
// `npm run build && node scripts/profile-http.mjs [--variant=protected] [--seconds=5] [--node=/path/to/node]`
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, startServer, variantSpec, warmUp } from '../bench/cases/http.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const variant = arg('variant', 'protected');
const seconds = Number(arg('seconds', 5));
const node = arg('node', process.env.BENCH_NODE ?? process.execPath);

/** The category of one profile node, from its script URL and function name. */
export function categorize(url, functionName) {
  if (functionName === '(garbage collector)') return 'gc';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)') return 'program (V8, native)';
  if (/[/\\]@opentelemetry[/\\]instrumentation(-http)?[/\\]|require-in-the-middle|import-in-the-middle|shimmer/.test(url))
    return 'OTel instrumentation';
  if (
    /@opentelemetry[/\\]context-async-hooks|^node:async_hooks|^node:internal\/async_(hooks|local_storage)|^node:internal\/async_context/.test(
      url,
    )
  )
    return 'context manager';
  if (/[/\\]@opentelemetry[/\\]/.test(url)) return 'OTel SDK (spans, metrics)';
  if (url.includes(join(ROOT, 'dist')) || /[/\\]cockatiel[/\\]/.test(url)) return 'our layer';
  if (url.startsWith('node:')) return 'Node (http, net, streams)';
  if (url === '') return 'native (syscalls, builtins)';
  return 'other (the server itself)';
}

const dir = mkdtempSync(join(tmpdir(), 'profile-http-'));
try {
  const server = await startServer(node, await variantSpec(variant), ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  warmUp(server.port);
  const { at: from } = await server.ask('start');
  const { rps } = load(server.port, seconds);
  const { requests, cpuMicros, at: to } = await server.ask('stop');
  await server.stop();
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error('the server wrote no .cpuprofile');
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  // Inclusive time: samples with one of our layer's frames (or the instrumentation's) anywhere on the stack.
  const inclusive = { 'our layer': 0, 'OTel instrumentation': 0 };
  const categories = new Map();
  const functions = new Map();
  // Only the samples of the measured window (the profile's clock is the monotonic one hrtime reads).
  let time = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i] ?? 0;
    if (time < from || time > to) continue;
    const { callFrame } = byId.get(profile.samples[i]);
    const micros = profile.timeDeltas[i] ?? 0;
    const category = categorize(callFrame.url, callFrame.functionName);
    categories.set(category, (categories.get(category) ?? 0) + micros);
    if (category === 'idle') continue;
    const seen = new Set();
    for (let id = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id).callFrame;
      const c = categorize(frame.url, frame.functionName);
      if (c in inclusive && !seen.has(c)) {
        seen.add(c);
        inclusive[c] += micros;
      }
    }
    const where = `${callFrame.functionName || '(anonymous)'} ${callFrame.url.replace(ROOT, '').replace(/^.*node_modules[/\\]/, '')}:${callFrame.lineNumber + 1}`;
    functions.set(where, (functions.get(where) ?? 0) + micros);
  }
  // Samples are taken on wall time, which a loaded machine stretches: shares come from the samples, µs per
  // request from the CPU time the process used in the window.
  const busy = [...categories].filter(([c]) => c !== 'idle').reduce((n, [, v]) => n + v, 0);
  const perRequest = (micros) => ((micros / busy) * cpuMicros) / requests;
  process.stdout.write(
    `${variant} on Node ${node === process.execPath ? process.version : node}: ${rps} req/s under load, ${requests} requests counted\n`,
  );
  process.stdout.write(`CPU split (self time, % of busy; CPU µs per request)\n`);
  for (const [category, micros] of [...categories].filter(([c]) => c !== 'idle').sort((a, b) => b[1] - a[1])) {
    process.stdout.write(
      `  ${category.padEnd(28)} ${((micros / busy) * 100).toFixed(1).padStart(5)}%  ${perRequest(micros).toFixed(1).padStart(6)} µs\n`,
    );
  }
  process.stdout.write(`  ${'busy total'.padEnd(28)} 100.0%  ${perRequest(busy).toFixed(1).padStart(6)} µs\n`);
  for (const [category, micros] of Object.entries(inclusive)) {
    process.stdout.write(
      `  ${`${category}, inclusive`.padEnd(28)} ${((micros / busy) * 100).toFixed(1).padStart(5)}%  ${perRequest(micros).toFixed(1).padStart(6)} µs (what it calls included)\n`,
    );
  }
  process.stdout.write('top functions (self time)\n');
  for (const [where, micros] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    process.stdout.write(`  ${((micros / busy) * 100).toFixed(1).padStart(5)}%  ${where}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
