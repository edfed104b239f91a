// Outgoing fetch against a local server (a plain node:http server in its own process, keep-alive), one
// request at a time, body read; the figure is the client process's CPU time per request (user + system), which
// a loaded machine disturbs far less than wall time (the server's work is in its own process, not counted):
// - fetch_bare_us: Node's fetch, no OTel in the process;
// - fetch_instrumented_us: the same with the embedded setup and the undici instrumentation the preload
//   registers (a client span, traceparent, baggage and the deadline header per request);
// - fetch_protected_us: through the protected client of a named dependency (`system.dependencyFetch`, with a
//   retry budget, a throttle and a deadline): the protected operation (its span, breaker, budget, throttle,
//   deadline) around the instrumented fetch;
// - fetch_span_us: one sampled span with 3 attributes in that set-up, for the target
//   fetch_protected_us <= fetch_bare_us x 1.2 + fetch_span_us (`fetch_protected_within_target`).
// Each variant runs in its own process (the context manager, once enabled, taxes every promise), the three
// interleaved round by round so a change in the machine's load shifts them alike; the best round counts.
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { trace } from '@opentelemetry/api';
import { report } from './_measure.mjs';

const ROUNDS = 7;

/** CPU ns per awaited `fn()` in this process, best of `rounds` rounds of `calls` after a warm-up. */
async function cpuNsPerCall(fn, { calls = 1000, rounds = 3, warmup = 300 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < calls; i++) await fn();
    const { user, system } = process.cpuUsage(start);
    best = Math.min(best, ((user + system) * 1000) / calls);
  }
  return best;
}
/** The variants, each in its own process; `key` is its bench key. */
const VARIANTS = {
  bare: 'fetch_bare_us',
  context: 'fetch_context_manager_us',
  official: 'fetch_official_instrumented_us',
  instrumented: 'fetch_instrumented_us',
  protected: 'fetch_protected_us',
  protected_official: 'fetch_protected_official_us',
};
const us = (ns) => Math.round(ns / 100) / 10;
const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const variant = arg('variant');

/** One variant's ns per request (and, but for `bare`, the span's), in this process. */
async function measure(name, url) {
  const options = {};
  const get = async () => (await fetch(url)).arrayBuffer();
  if (name === 'bare') return { request: await cpuNsPerCall(get, options) };
  const { createProductionSystem } = await import('../../dist/esm/index.js');
  const { undiciInstrumentation, leanUndiciInstrumentation } = await import('../../dist/esm/sdk/index.js');
  const { registerInstrumentations } = await import('@opentelemetry/instrumentation');
  const system = createProductionSystem(
    {},
    {
      healthChecks: { enabled: false },
      monitoring: { defaultAlertRules: false },
      resourceLimits: { maxActiveOperations: 100_000 },
      dependencies: { local: { retryBudget: {}, throttle: {} } },
    },
    { env: {}, startHealthChecks: false },
  );
  // `context`: the providers and the AsyncLocalStorage context manager, no instrumentation; `official*`:
  // @opentelemetry/instrumentation-undici; else our lean one (the preload's).
  if (name.endsWith('official')) registerInstrumentations({ instrumentations: [undiciInstrumentation()] });
  else if (name !== 'context') registerInstrumentations({ instrumentations: [leanUndiciInstrumentation()] });
  const local = system.dependencyFetch('local');
  const result = name.startsWith('protected')
    ? { request: await cpuNsPerCall(async () => (await local(url, { deadlineMs: 5000 })).arrayBuffer(), options) }
    : { request: await cpuNsPerCall(get, options) };
  const tracer = trace.getTracer('bench');
  result.span = await cpuNsPerCall(
    async () => {
      tracer.startSpan('x', { attributes: { a: 1, b: 'two', c: true } }).end();
    },
    { calls: 20_000, warmup: 5000 },
  );
  await system.shutdown();
  return result;
}

if (variant !== undefined) {
  process.stdout.write(
    JSON.stringify(
      await measure(
        variant,
        process.argv.find((a) => a.startsWith('http')),
      ),
    ) + '\n',
  );
} else {
  const SERVER = `require('node:http').createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
  const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise((resolve, reject) => {
      server.stdout.once('data', (data) => resolve(Number(String(data).trim())));
      server.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
    });
    // FETCH_NODE: another Node binary for the variants (e.g. Node 24), FETCH_ROUNDS: fewer rounds for a quick look.
    const node = process.env.FETCH_NODE ?? process.execPath;
    const rounds = Number(process.env.FETCH_ROUNDS ?? ROUNDS);
    const names = arg('variants')?.split(',') ?? Object.keys(VARIANTS);
    const best = Object.fromEntries([...names, 'span'].map((name) => [name, Infinity]));
    const self = fileURLToPath(import.meta.url);
    for (let round = 0; round < rounds; round++) {
      for (const name of names) {
        const out = execFileSync(node, [self, `--variant=${name}`, `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
        const { request, span } = JSON.parse(out.trim().split('\n').pop());
        best[name] = Math.min(best[name], request);
        if (span !== undefined) best.span = Math.min(best.span, span);
      }
    }
    const figures = Object.fromEntries(names.map((name) => [VARIANTS[name], us(best[name])]));
    figures.fetch_span_us = us(best.span);
    if (best.bare !== undefined && best.protected !== undefined) {
      figures.fetch_protected_within_target = figures.fetch_protected_us <= figures.fetch_bare_us * 1.2 + figures.fetch_span_us;
    }
    report(figures);
  } finally {
    server.kill();
  }
}
