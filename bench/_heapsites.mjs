import { Session } from 'node:inspector/promises';
import { setup } from './cases/_pipelines.mjs';
const fn = await setup(process.argv[2] ?? 'full', async () => 1);
for (let i = 0; i < 20000; i++) await fn();
const s = new Session();
s.connect();
await s.post('HeapProfiler.enable');
await s.post('HeapProfiler.startSampling', {
  samplingInterval: 32,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
const N = 20000;
for (let i = 0; i < N; i++) await fn();
const { profile } = await s.post('HeapProfiler.stopSampling');
const sites = new Map();
const walk = (n, stack) => {
  const f = n.callFrame;
  const here = `${f.functionName || '(anon)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^.*dist\//, 'dist/')}:${f.lineNumber + 1}`;
  const self = n.selfSize;
  if (self) sites.set(here, (sites.get(here) ?? 0) + self);
  for (const c of n.children) walk(c, stack);
};
walk(profile.head);
let total = 0;
for (const v of sites.values()) total += v;
console.log('total bytes/call', Math.round(total / N));
for (const [k, v] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(String(Math.round(v / N)).padStart(6), k);
process.exit(0);
