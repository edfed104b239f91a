// Core pipeline cost: ns per awaited call of an async no-op, each case in a fresh process.
// Keys: bare_ns, cockatiel_ns, naive_ns, floor_ns, full_ns (exemplars on, the default), full_exemplars_off_ns,
// full_budget_deadline_ns (full, with a dependency's retry budget and a 1 s deadline on every call).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nsPerCall, report } from './_measure.mjs';
import { setup } from './_pipelines.mjs';

const CASES = ['bare', 'cockatiel', 'naive', 'floor', 'full', 'full_exemplars_off', 'full_budget_deadline'];
const which = process.argv[2];

if (which === undefined) {
  // Processes on this kind of machine vary by 10-20% from one to the next: run each case in three fresh
  // processes, interleaved, and keep the best, so a ratio between cases is not one process's luck.
  const out = Object.fromEntries(CASES.map((name) => [`${name}_ns`, Infinity]));
  for (let round = 0; round < 3; round++) {
    for (const name of CASES) {
      const ns = execFileSync(process.execPath, [fileURLToPath(import.meta.url), name], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      out[`${name}_ns`] = Math.min(out[`${name}_ns`], Number(ns.trim()));
    }
  }
  report(out);
} else {
  const noop = async () => 1;
  const fn = await setup(which, noop);
  process.stdout.write(String(await nsPerCall(fn)) + '\n');
  process.exit(0);
}
