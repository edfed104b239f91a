// Hedging between real processes (fixtures shared with test/recovery/hedging-real.test.ts): a dependency whose
// calls take 10 ms, 5 % of them 20x slower (200 ms), called 2000 times from 4 workers, first without hedging and
// then with it (default settings: the recent p95, one hedge, under a retry budget of ratio 0.2):
// - hedging_p99_ratio: hedged p99 / unhedged p99 (target <= 0.3);
// - hedging_extra_load: extra attempts per call hedging made (target <= 0.10).
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { report } from './_measure.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = join(root, 'test/recovery/fixtures');
const children = new Set();

/** Starts `script`; resolves with its stdout lines once one matches `ready`, or (ready null) once it exits 0. */
function start(script, env, ready) {
  const child = spawn(process.execPath, [join(fixtures, script)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  children.add(child);
  const lines = [];
  let partial = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop();
      lines.push(...parts);
      if (ready !== null && parts.some((line) => ready.test(line))) resolve(lines);
    });
    child.once('exit', (code) => {
      children.delete(child);
      if (ready === null && code === 0) resolve(lines);
      else reject(new Error(`${script} exited with ${code}`));
    });
  });
}

try {
  const serverLines = await start('slow-server.mjs', { FAST_MS: '10', SLOW_SHARE: '0.05', SLOWDOWN: '20' }, /^LISTENING \d+$/);
  const port = serverLines.find((line) => line.startsWith('LISTENING ')).split(' ')[1];
  const lines = await start(
    'hedge-client.mjs',
    { TARGET: `http://127.0.0.1:${port}/`, CALLS: '2000', WARMUP: '100', CONCURRENCY: '4' },
    null,
  );
  const result = JSON.parse(lines.find((line) => line.startsWith('{')));
  report({
    hedging_p99_ratio: Math.round(result.p99Ratio * 1000) / 1000,
    hedging_extra_load: Math.round(result.extraLoad * 1000) / 1000,
  });
} finally {
  for (const child of children) child.kill('SIGKILL');
}
process.exit(0);
