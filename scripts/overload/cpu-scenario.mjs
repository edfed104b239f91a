// The CPU-bound overload experiment, shared by test/overload/cpu-overload.test.ts and bench/cases/cpu-overload.mjs:
// a service whose requests burn CPU in chunks with awaits between (scripts/overload/cpu-server.mjs), its capacity
// measured first (closed loop, no overload control), then open-loop load from another process at 1x, 2x, 3x and
// 5x, a 20 % critical / 80 % sheddable mix at 3x, and a step from 3x back to 0.5x. Goodput counts the 200s
// answered within `okMs` (250), per second, over the capacity.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { offer } from './scenario.mjs';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));

/** Starts a CPU-bound server; resolves once it listens. */
export async function startCpuServer(options) {
  const proc = spawn(process.execPath, [here('cpu-server.mjs'), JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', options.trace ? 'inherit' : 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr?.on('data', (d) => (err += d));
  const exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server not ready in 20 s: ${err}`)), 20_000);
    proc.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{"port"'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line).port);
      }
    });
    void exited.then((code) => reject(new Error(`server exited (${code}): ${err}`)));
  });
  return {
    port,
    stats: async () => JSON.parse(await (await fetch(`http://127.0.0.1:${port}/stats`)).text()),
    stop: async () => {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const p99 = (values) => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)];
};

/** Figures of the requests started within [fromMs, toMs) against `capacity`. */
export function cpuSummary(records, fromMs, toMs, capacity, okMs = 250) {
  const w = records.filter((r) => r[0] >= fromMs && r[0] < toMs);
  const ok = w.filter((r) => r[2] === 200);
  const good = ok.filter((r) => r[1] <= okMs);
  const critical = w.filter((r) => r[3] === 1);
  const seconds = (toMs - fromMs) / 1000;
  return {
    sent: w.length,
    ok: ok.length,
    refused: w.filter((r) => r[2] === 503).length,
    failed: w.filter((r) => r[2] !== 200 && r[2] !== 503).length,
    refusedShare: w.length === 0 ? 0 : w.filter((r) => r[2] === 503).length / w.length,
    goodput: good.length / seconds / capacity,
    p99Ms: p99(ok.map((r) => r[1])),
    criticalSent: critical.length,
    criticalOk: critical.filter((r) => r[2] === 200).length,
  };
}

/** Time from `stepMs` until the refused share of every later 500 ms window is under 1 % (null: never). */
export function recoveryMs(records, stepMs, endMs) {
  const windows = [];
  for (let t = stepMs; t + 500 <= endMs; t += 250) {
    const w = records.filter((r) => r[0] >= t && r[0] < t + 500);
    windows.push([t - stepMs, w.length === 0 ? 0 : w.filter((r) => r[2] === 503).length / w.length]);
  }
  let at = null;
  for (let i = windows.length - 1; i >= 0 && windows[i][1] < 0.01; i--) at = windows[i][0];
  return at;
}

/** Closed-loop capacity (200s per second) of a server with no overload control. */
export async function measureCapacity(serverOptions, { concurrency = 4, durationMs = 4000 } = {}) {
  const server = await startCpuServer({ ...serverOptions, control: 'off' });
  try {
    const records = await offer(server.port, { closed: concurrency, durationMs });
    return records.filter((r) => r[0] >= 1000 && r[2] === 200).length / ((durationMs - 1000) / 1000);
  } finally {
    await server.stop();
  }
}

/**
 * One configuration (`control`: off, on, edge) through every phase, against a measured `capacity`.
 * `phaseMs` per loaded phase, the first `warmupMs` not counted.
 */
export async function runCpuPhases({ control, capacity, chunkMs, chunks, phaseMs = 6000, warmupMs = 2000, multiples = [1, 2, 3, 5] }) {
  const out = { control, capacity, phases: {} };
  const server = await startCpuServer({ chunkMs, chunks, control });
  try {
    for (const x of multiples) {
      const records = await offer(server.port, { rate: capacity * x, durationMs: phaseMs });
      out.phases[`${x}x`] = cpuSummary(records, warmupMs, phaseMs, capacity);
    }
    const mixed = await offer(server.port, { rate: capacity * 3, durationMs: phaseMs, criticalShare: 0.2 });
    out.mixed = cpuSummary(mixed, warmupMs, phaseMs, capacity);
    out.criticalSuccess3x = out.mixed.criticalSent === 0 ? null : out.mixed.criticalOk / out.mixed.criticalSent;
    const step = await offer(server.port, {
      schedule: [
        [4000, capacity * 3],
        [6000, capacity * 0.5],
      ],
    });
    out.recoveryMs = recoveryMs(step, 4000, 10_000);
    out.afterStep = cpuSummary(step, 7000, 10_000, capacity);
    out.status = (await server.stats()).overload;
  } finally {
    await server.stop();
  }
  return out;
}

/**
 * CPU µs the server spends per request, served (at 0.5x) and refused (every call refused: a constant loop lag
 * far over the target), at `rate` requests per second for `durationMs`.
 */
export async function measureCosts({ chunkMs, chunks, capacity, control = 'edge', durationMs = 3000 }) {
  const cost = async (options, rate, warmupMs) => {
    const server = await startCpuServer({ chunkMs, chunks, ...options });
    try {
      await offer(server.port, { rate, durationMs: warmupMs });
      const before = (await server.stats()).cpuUs;
      const records = await offer(server.port, { rate, durationMs });
      const after = (await server.stats()).cpuUs;
      return { us: (after - before) / records.length, statuses: [...new Set(records.map((r) => r[2]))] };
    } finally {
      await server.stop();
    }
  };
  const served = await cost({ control: 'off' }, capacity * 0.5, 500);
  // The refused share climbs by `gain` (0.05) per 100 ms interval: 2.5 s of warm-up brings it to 1.
  const refused = await cost({ control, lagMs: 10_000, overload: { queueDelay: { maxRefusal: 1 } } }, capacity * 2, 2500);
  return { servedUs: served.us, refusedUs: refused.us, refusedStatuses: refused.statuses };
}

/**
 * The same open-ish load from a generator we did not write: `hey` (Debian), `concurrency` workers each
 * rate-limited to rate / concurrency per second (`-q`), so it stays open-loop while a response takes less than
 * concurrency / rate seconds. Resolves to records as `offer` gives them, from hey's CSV output.
 */
export async function offerHey(port, { rate, durationMs, concurrency = 100 }) {
  const args = ['-z', `${durationMs / 1000}s`, '-c', String(concurrency), '-q', String(rate / concurrency), '-m', 'POST', '-t', '5'];
  const proc = spawn('hey', [...args, '-o', 'csv', `http://127.0.0.1:${port}/work`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (err += d));
  const code = await new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`hey exited ${code}: ${err}`);
  // response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset (seconds)
  return out
    .split('\n')
    .slice(1)
    .filter((line) => line.includes(','))
    .map((line) => {
      const f = line.split(',');
      return [Math.round(Number(f[7]) * 1000), Math.round(Number(f[0]) * 100_000) / 100, Number(f[6]), 0];
    });
}

/** One 3x phase under `hey` against a fresh server of `control`. */
export async function heyPhase({ control, capacity, chunkMs, chunks, multiple = 3, phaseMs = 6000, warmupMs = 2000 }) {
  const server = await startCpuServer({ chunkMs, chunks, control });
  try {
    return cpuSummary(await offerHey(server.port, { rate: capacity * multiple, durationMs: phaseMs }), warmupMs, phaseMs, capacity);
  } finally {
    await server.stop();
  }
}
