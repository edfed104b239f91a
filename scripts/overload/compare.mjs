// The CPU-bound overload at 3x under two load generators, ours (scripts/overload/load.mjs, open loop) and Debian's
// `hey -c 100 -q rate/100`, for each overload control, interleaved: every repetition measures the capacity first,
// then runs each control under each generator, so the rows of one repetition share the machine's conditions.
//   node scripts/overload/compare.mjs [repetitions=3] [baseline checkout, e.g. a worktree of main]
// With a baseline, its own scripts/overload/cpu-server.mjs (and its dist/) runs as the row `edge (baseline)`.
// Prints one line per run and, at the end, the median of each cell (goodput / p99 of the 200s / refused).
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSummary, measureCapacity, offerHey } from './cpu-scenario.mjs';
import { offer } from './scenario.mjs';

const shape = { chunkMs: 1.5, chunks: 3 };
const repetitions = Number(process.argv[2] ?? 3);
const baseline = process.argv[3];
const own = fileURLToPath(new URL('cpu-server.mjs', import.meta.url));

async function start(script, options) {
  const proc = spawn(process.execPath, [script, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  let out = '';
  const port = await new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{"port"'));
      if (line) resolve(JSON.parse(line).port);
    });
    void exited.then((code) => reject(new Error(`${script} exited (${code})`)));
  });
  return {
    port,
    stop: async () => {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const rows = [
  ['off', own, { control: 'off' }],
  ['adaptive limit', own, { control: 'off', overload: { concurrency: {} } }],
  ...(baseline ? [['edge (baseline)', join(baseline, 'scripts/overload/cpu-server.mjs'), { control: 'edge' }]] : []),
  ['edge', own, { control: 'edge' }],
];
const cells = new Map();
for (let rep = 0; rep < repetitions; rep++) {
  const capacity = await measureCapacity(shape);
  console.log(`repetition ${rep + 1}: capacity ${capacity.toFixed(1)}/s, load average ${loadavg()[0].toFixed(1)}`);
  for (const [name, script, options] of rows) {
    for (const generator of ['ours', 'hey']) {
      const server = await start(script, { ...shape, ...options });
      const rate = capacity * 3;
      const records =
        generator === 'hey'
          ? await offerHey(server.port, { rate, durationMs: 6000 })
          : await offer(server.port, { rate, durationMs: 6000 });
      await server.stop();
      const s = cpuSummary(records, 2000, 6000, capacity);
      console.log(
        `  ${name.padEnd(16)} ${generator.padEnd(5)} goodput ${s.goodput.toFixed(2)}, p99 ${s.p99Ms} ms, refused ${(s.refusedShare * 100).toFixed(0)} %`,
      );
      const key = `${name}|${generator}`;
      cells.set(key, [...(cells.get(key) ?? []), s]);
    }
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
console.log('\nmedians at 3x: goodput / p99 of the 200s / refused');
for (const [name] of rows) {
  const cell = (g) => {
    const runs = cells.get(`${name}|${g}`);
    return `${median(runs.map((s) => s.goodput)).toFixed(2)} / ${median(runs.map((s) => s.p99Ms ?? Infinity))} ms / ${(median(runs.map((s) => s.refusedShare)) * 100).toFixed(0)} %`;
  };
  console.log(`| ${name} | ${cell('ours')} | ${cell('hey')} |`);
}
