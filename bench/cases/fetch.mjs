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
import { createHook } from 'node:async_hooks';
import { spawn, execFileSync } from 'node:child_process';
import { channel } from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import { ROOT_CONTEXT, context, createContextKey, trace } from '@opentelemetry/api';
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

/**
 * Node's AsyncLocalStorage turns its promise hooks on at its first `run()`, not when the context manager is
 * enabled: a service does that at its first request, so the variants do it before they measure.
 */
function activateContextManager() {
  context.with(ROOT_CONTEXT.setValue(createContextKey('bench'), 1), () => undefined);
}

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
  activateContextManager();
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

/** ns per synchronous `fn()`, best of 7 rounds of `calls`. */
function nsPerSyncCall(fn, calls) {
  for (let i = 0; i < calls; i++) fn();
  let best = Infinity;
  for (let r = 0; r < 7; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / calls);
  }
  return best;
}

/**
 * The parts of a request's cost, each measured apart in a loop with no network (far steadier than the
 * end-to-end figures on a loaded machine): the promises one fetch makes and what the context manager adds to
 * each; one Request that follows an abort signal against one that does not; the lean and the official
 * instrumentation's work for one request (its diagnostics-channel messages published by hand, span, headers
 * and histogram included); one protected operation around a no-op with a deadline.
 */
async function components(url) {
  let promises = 0;
  const hook = createHook({ init: (_id, type) => void (type === 'PROMISE' && promises++) });
  for (let i = 0; i < 50; i++) await (await fetch(url)).arrayBuffer();
  hook.enable();
  for (let i = 0; i < 100; i++) await (await fetch(url)).arrayBuffer();
  hook.disable();
  const noop = async () => undefined;
  const awaitBare = await cpuNsPerCall(noop, { calls: 200_000, warmup: 50_000 });
  const request = nsPerSyncCall(() => new Request(url), 5000);
  const requestWithSignal = nsPerSyncCall(() => new Request(url, { signal: new AbortController().signal }), 5000);
  const { createProductionSystem } = await import('../../dist/esm/index.js');
  const { undiciInstrumentation, leanUndiciInstrumentation } = await import('../../dist/esm/sdk/index.js');
  const system = createProductionSystem(
    {},
    {
      healthChecks: { enabled: false },
      monitoring: { defaultAlertRules: false },
      dependencies: { local: { retryBudget: {}, throttle: {} } },
    },
    { env: {}, startHealthChecks: false },
  );
  activateContextManager();
  const awaitWithContext = await cpuNsPerCall(noop, { calls: 200_000, warmup: 50_000 });
  const [create, headers, trailers] = ['create', 'headers', 'trailers'].map((name) => channel(`undici:request:${name}`));
  const exchange = () => {
    const request = {
      origin: new URL(url).origin,
      path: '/items?q=1',
      method: 'GET',
      headers: ['user-agent', 'node', 'accept', '*/*'],
      addHeader(name, value) {
        this.headers.push(name, value);
        return this;
      },
    };
    create.publish({ request });
    headers.publish({ request, response: { statusCode: 200, headers: [] } });
    trailers.publish({ request, trailers: [] });
  };
  const handlers = (instrumentation) => {
    instrumentation.enable();
    const ns = nsPerSyncCall(exchange, 20_000);
    instrumentation.disable();
    return ns;
  };
  const none = nsPerSyncCall(exchange, 20_000);
  const lean = handlers(leanUndiciInstrumentation()) - none;
  const official = handlers(undiciInstrumentation()) - none;
  const operation = await cpuNsPerCall(() => system.executeProtectedOperation('local', undefined, noop, { deadlineMs: 5000 }), {
    calls: 5000,
    warmup: 2000,
  });
  await system.shutdown();
  return {
    promises: promises / 100,
    contextTax: awaitWithContext - awaitBare,
    signal: requestWithSignal - request,
    lean,
    official,
    operation,
  };
}

if (variant !== undefined) {
  const url = process.argv.find((a) => a.startsWith('http'));
  process.stdout.write(JSON.stringify(variant === 'components' ? await components(url) : await measure(variant, url)) + '\n');
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
    // The parts, measured apart (one run): see components().
    const parts = {};
    for (let round = 0; round < 3; round++) {
      const out = execFileSync(node, [self, '--variant=components', `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
      for (const [key, value] of Object.entries(JSON.parse(out.trim().split('\n').pop())))
        parts[key] = Math.min(parts[key] ?? Infinity, value);
    }
    figures.fetch_promises_per_request = parts.promises;
    figures.fetch_context_manager_tax_us = us(parts.promises * parts.contextTax);
    figures.fetch_signal_us = us(parts.signal);
    figures.fetch_lean_instrumentation_work_us = us(parts.lean);
    figures.fetch_official_instrumentation_work_us = us(parts.official);
    figures.fetch_protected_operation_us = us(parts.operation);
    if (best.bare !== undefined && best.protected !== undefined) {
      figures.fetch_protected_within_target = figures.fetch_protected_us <= figures.fetch_bare_us * 1.2 + figures.fetch_span_us;
    }
    report(figures);
  } finally {
    server.kill();
  }
}
