// Core pipeline cost: ns per awaited call of an async no-op, each case in a fresh process.
// Keys: bare_ns, cockatiel_ns, naive_ns, floor_ns, full_ns (exemplars on, the default), full_exemplars_off_ns,
// full_budget_deadline_ns (full, with a dependency's retry budget and a 1 s deadline on every call).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nsPerCall, report } from './_measure.mjs';

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

async function cockatielWrap() {
  const { ConsecutiveBreaker, ExponentialBackoff, TimeoutStrategy, bulkhead, circuitBreaker, handleAll, retry, timeout, wrap } =
    await import('cockatiel');
  return wrap(
    retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),
    circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
    bulkhead(1000, 0),
    timeout(30_000, TimeoutStrategy.Cooperative),
  );
}

async function setup(name, noop) {
  if (name === 'bare') return noop;
  if (name === 'cockatiel') {
    const policy = await cockatielWrap();
    return () => policy.execute(noop);
  }
  const { installOtel } = await import('./_otel.mjs');
  const { trace, metrics } = await import('@opentelemetry/api');
  if (name === 'naive') {
    installOtel();
    const policy = await cockatielWrap();
    const tracer = trace.getTracer('naive');
    const meter = metrics.getMeter('naive');
    const histogram = meter.createHistogram('op.duration', { unit: 's' });
    const counter = meter.createCounter('op.calls');
    return () =>
      tracer.startActiveSpan('op', { attributes: { 'op.name': 'op', 'user.id': 'user-1', 'correlation.id': 'c-1' } }, async (span) => {
        const start = performance.now();
        try {
          return await policy.execute(noop);
        } finally {
          histogram.record((performance.now() - start) / 1000, { 'op.name': 'op', outcome: 'success' });
          counter.add(1, { 'op.name': 'op' });
          span.end();
        }
      });
  }
  if (name === 'floor') {
    installOtel();
    const tracer = trace.getTracer('floor');
    const histogram = metrics.getMeter('floor').createHistogram('op.duration', { unit: 's' });
    return async () => {
      const span = tracer.startSpan('op', { attributes: { 'op.name': 'op', 'user.id': 'user-1', 'correlation.id': 'c-1' } });
      const start = performance.now();
      await noop();
      histogram.record((performance.now() - start) / 1000, { 'op.name': 'op', outcome: 'success' });
      span.end();
    };
  }
  if (name === 'full' || name === 'full_exemplars_off' || name === 'full_budget_deadline') {
    const { productionMetricReaders } = await import('../../dist/esm/sdk/index.js');
    installOtel(productionMetricReaders());
    const { createProductionSystem } = await import('../../dist/esm/index.js');
    // Every span is sampled, so with exemplars on every call stores one: their worst case.
    const system = createProductionSystem(
      {},
      {
        rateLimiting: { global: { algorithm: 'token_bucket', capacity: 1e9, refillPerSecond: 1e9 } },
        errorRecovery: {
          defaults: { bulkhead: { maxConcurrent: 1000, maxQueue: 0 }, ...(name === 'full_budget_deadline' ? { dependency: 'db' } : {}) },
        },
        dependencies: name === 'full_budget_deadline' ? { db: { retryBudget: {} } } : {},
        healthChecks: { enabled: false },
        monitoring: { exemplars: name !== 'full_exemplars_off' },
      },
    );
    if (name === 'full_budget_deadline') {
      const options = { deadlineMs: 1000 };
      return () => system.executeProtectedOperation('op', 'user-1', noop, options);
    }
    return () => system.executeProtectedOperation('op', 'user-1', noop);
  }
  throw new Error(`unknown case ${name}`);
}
