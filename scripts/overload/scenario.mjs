// The real-overload experiment, shared by test/overload/real-overload.test.ts and bench/cases/overload.mjs:
// a service process with a fixed capacity (scripts/overload/server.mjs) driven by a load generator process
// (scripts/overload/load.mjs) at multiples of its capacity, behind an adaptive limit and behind static limits
// set 2x too high and 2x too low.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));

function child(script, arg) {
  const proc = spawn(process.execPath, [here(script), JSON.stringify(arg)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (err += d));
  const exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, out: () => out, err: () => err, exited };
}

/** Starts a capacity server; resolves once it listens. */
export async function startServer(options) {
  const c = child('server.mjs', options);
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server not ready in 20 s: ${c.err()}`)), 20_000);
    c.proc.stdout.on('data', () => {
      const line = c
        .out()
        .split('\n')
        .find((l) => l.startsWith('{"port"'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line).port);
      }
    });
    void c.exited.then((code) => reject(new Error(`server exited (${code}): ${c.err()}`)));
  });
  const get = async (path, method = 'GET') => (await fetch(`http://127.0.0.1:${port}${path}`, { method })).text();
  return {
    port,
    stats: async () => JSON.parse(await get('/stats')),
    setSlots: (slots) => get(`/capacity?slots=${slots}`, 'POST'),
    stop: async () => {
      c.proc.kill('SIGTERM');
      const timer = setTimeout(() => c.proc.kill('SIGKILL'), 5000);
      await c.exited;
      clearTimeout(timer);
    },
  };
}

/** Offers load from another process; resolves to its records [startMs, latencyMs, status, critical]. */
export async function offer(port, load) {
  const c = child('load.mjs', { port, ...load });
  const code = await c.exited;
  if (code !== 0) throw new Error(`load generator exited ${code}: ${c.err()}`);
  return JSON.parse(c.out());
}

const p99 = (values) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)];
};

/** Figures of the requests started within [fromMs, toMs). */
export function summarize(records, fromMs, toMs) {
  const window = records.filter((r) => r[0] >= fromMs && r[0] < toMs);
  const ok = window.filter((r) => r[2] === 200);
  const critical = window.filter((r) => r[3] === 1);
  return {
    sent: window.length,
    ok: ok.length,
    okPerSecond: (ok.length * 1000) / (toMs - fromMs),
    shed: window.filter((r) => r[2] === 503).length,
    failed: window.filter((r) => r[2] !== 200 && r[2] !== 503).length,
    p99Ms: p99(ok.map((r) => r[1])),
    criticalSent: critical.length,
    criticalOk: critical.filter((r) => r[2] === 200).length,
  };
}

/** One server for one measurement: start, offer, summarise the steady part, stop. */
async function measure(serverOptions, load, fromMs) {
  const server = await startServer(serverOptions);
  try {
    return summarize(await offer(server.port, load), fromMs, load.durationMs);
  } finally {
    await server.stop();
  }
}

/**
 * Runs every scenario and returns the figures. `slots` x 1000 / `serviceMs` is the capacity per second.
 * `phaseMs` is the length of each loaded phase; the first `warmupMs` of it are not counted.
 */
export async function runOverload({ slots = 10, serviceMs = 100, adaptive, phaseMs = 6000, warmupMs = 2000 } = {}) {
  const capacity = (slots * 1000) / serviceMs;
  const out = { capacity, phases: {} };
  const server = await startServer({ slots, serviceMs, adaptive });
  try {
    const unloaded = summarize(await offer(server.port, { rate: capacity * 0.5, durationMs: 5000 }), 1000, 5000);
    out.unloadedP99Ms = unloaded.p99Ms;
    out.phases['0.5x'] = unloaded;
    for (const x of [1, 2, 3]) {
      const s = summarize(await offer(server.port, { rate: capacity * x, durationMs: phaseMs }), warmupMs, phaseMs);
      out.phases[`${x}x`] = { ...s, limit: (await server.stats()).limit };
    }
    // Capacity halves at run time, under 3x of the old capacity: how long until the limit is back within 2x the new slots.
    const halved = Math.max(1, Math.floor(slots / 2));
    const timeline = [];
    const running = offer(server.port, { rate: capacity * 3, durationMs: 9000 });
    await new Promise((r) => setTimeout(r, 2000));
    await server.setSlots(halved);
    const t0 = performance.now();
    while (performance.now() - t0 < 6500) {
      timeline.push([Math.round(performance.now() - t0), (await server.stats()).limit]);
      await new Promise((r) => setTimeout(r, 100));
    }
    const records = await running;
    const converged = timeline.find(([, limit]) => limit <= 2 * halved);
    out.halving = { slots: halved, convergedMs: converged ? converged[0] : null, timeline, after: summarize(records, 7000, 9000) };
  } finally {
    await server.stop();
  }
  out.unloadedP99Ms ??= Number.NaN;
  const at3 = out.phases['3x'];
  out.goodputRatio3x = at3.okPerSecond / capacity;
  out.p99Ratio3x = at3.p99Ms / out.unloadedP99Ms;
  const mixed = await measure({ slots, serviceMs, adaptive }, { rate: capacity * 3, durationMs: phaseMs, criticalShare: 0.2 }, warmupMs);
  out.mixed = mixed;
  out.criticalSuccess3x = mixed.criticalOk / mixed.criticalSent;
  const high = await measure({ slots, serviceMs, staticLimit: slots * 2 }, { rate: capacity * 3, durationMs: phaseMs }, warmupMs);
  const low = await measure(
    { slots, serviceMs, staticLimit: Math.max(1, Math.floor(slots / 2)) },
    { rate: capacity * 3, durationMs: phaseMs },
    warmupMs,
  );
  out.staticHigh = { ...high, goodputRatio: high.okPerSecond / capacity, p99Ratio: high.p99Ms / out.unloadedP99Ms };
  out.staticLow = { ...low, goodputRatio: low.okPerSecond / capacity, p99Ratio: low.p99Ms / out.unloadedP99Ms };
  return out;
}
