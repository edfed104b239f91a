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
const VARIANTS = ['bare', 'instrumented', 'protected'];
const us = (ns) => Math.round(ns / 100) / 10;
const variant = process.argv.find((a) => a.startsWith('--variant='))?.slice('--variant='.length);

/** One variant's ns per request (and, for `protected`, the span's), in this process. */
async function measure(name, url) {
  const options = {};
  const get = async () => (await fetch(url)).arrayBuffer();
  if (name === 'bare') return { request: await cpuNsPerCall(get, options) };
  const { createProductionSystem } = await import('../../dist/esm/index.js');
  const { undiciInstrumentation } = await import('../../dist/esm/sdk/index.js');
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
  registerInstrumentations({ instrumentations: [undiciInstrumentation()] });
  const local = system.dependencyFetch('local');
  const result =
    name === 'instrumented'
      ? { request: await cpuNsPerCall(get, options) }
      : { request: await cpuNsPerCall(async () => (await local(url, { deadlineMs: 5000 })).arrayBuffer(), options) };
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
    const best = { bare: Infinity, instrumented: Infinity, protected: Infinity, span: Infinity };
    const self = fileURLToPath(import.meta.url);
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of VARIANTS) {
        const out = execFileSync(process.execPath, [self, `--variant=${name}`, `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
        const { request, span } = JSON.parse(out.trim().split('\n').pop());
        best[name] = Math.min(best[name], request);
        if (span !== undefined) best.span = Math.min(best.span, span);
      }
    }
    const [bare, instrumented, guarded, span] = [best.bare, best.instrumented, best.protected, best.span].map(us);
    report({
      fetch_bare_us: bare,
      fetch_instrumented_us: instrumented,
      fetch_protected_us: guarded,
      fetch_span_us: span,
      fetch_protected_within_target: guarded <= bare * 1.2 + span,
    });
  } finally {
    server.kill();
  }
}
