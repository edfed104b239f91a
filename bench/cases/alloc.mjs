// Bytes allocated on the JS heap per awaited call (bench/http/alloc.cjs: the heap's growth between GCs, summed
// from a GC profile), each case in a fresh process: protected_call_bytes (the default configuration, what a
// server under the preload runs), full_call_bytes (core's full_ns configuration, with a bulkhead), floor_call_bytes (core's floor: an activated span and a histogram record) and bare_call_bytes (the
// awaited async no-op itself, included in the others), and protected_call_bytes_over_floor. In a server, caches are cold and allocation decides
// the cost of a call more than a tight loop's nanoseconds do.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { report } from './_measure.mjs';
import { setup } from './_pipelines.mjs';

const CASES = { bare: 'bare_call_bytes', floor: 'floor_call_bytes', default: 'protected_call_bytes', full: 'full_call_bytes' };
const CALLS = 20_000;
const which = process.argv[2];

if (which === undefined) {
  const out = {};
  for (const [name, key] of Object.entries(CASES)) {
    const runs = [0, 1, 2].map(() =>
      Number(
        execFileSync(process.execPath, [fileURLToPath(import.meta.url), name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }),
      ),
    );
    out[key] = Math.min(...runs);
  }
  // What our layer adds to what any protected call must allocate (a sampled SDK span, its activation, a record).
  out.protected_call_bytes_over_floor = out.protected_call_bytes - out.floor_call_bytes;
  report(out);
} else {
  const { allocationMeter } = createRequire(import.meta.url)('../http/alloc.cjs');
  const fn = await setup(which, async () => 1);
  for (let i = 0; i < CALLS; i++) await fn(); // warm-up: JIT, caches, maps filled
  const meter = allocationMeter();
  for (let i = 0; i < CALLS; i++) await fn();
  process.stdout.write(`${Math.round(meter.stop() / CALLS)}\n`);
  process.exit(0);
}
