// Where a protected call's bytes go: V8's sampling heap profiler (every 32 bytes, collected objects included)
// over 20,000 awaited calls of one bench case (bench/cases/_pipelines.mjs), after a warm-up; prints bytes per
// call by allocating function (self), largest first. Inlined callees count in their caller.
// `npm run build && node scripts/alloc-sites.mjs [default|full|floor|naive|bare]` (default: `default`, the
// configuration a server under the preload runs).
import { Session } from 'node:inspector/promises';
import { setup } from '../bench/cases/_pipelines.mjs';

const CALLS = 20_000;
const fn = await setup(process.argv[2] ?? 'default', async () => 1);
for (let i = 0; i < CALLS; i++) await fn();
const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 32,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
for (let i = 0; i < CALLS; i++) await fn();
const { profile } = await session.post('HeapProfiler.stopSampling');
const sites = new Map();
const walk = (node) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')}:${lineNumber + 1}`;
  if (node.selfSize > 0) sites.set(where, (sites.get(where) ?? 0) + node.selfSize);
  for (const child of node.children) walk(child);
};
walk(profile.head);
const total = [...sites.values()].reduce((n, v) => n + v, 0);
process.stdout.write(`${Math.round(total / CALLS)} bytes per call (sampled)\n`);
for (const [where, bytes] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
  process.stdout.write(`${String(Math.round(bytes / CALLS)).padStart(7)}  ${where}\n`);
}
process.exit(0);
