// The pipelines the core and allocation cases measure, each around an async no-op: bare, cockatiel's policies,
// naive glue (cockatiel + an active span + two metric records), the floor (a span activated around the call and
// one histogram record: what every protected call must do) and our full pipeline.
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

/** The function one call of case `name` awaits, around `noop`; installs what the case needs (once per process). */
export async function setup(name, noop) {
  if (name === 'bare') return noop;
  if (name === 'cockatiel') {
    const policy = await cockatielWrap();
    return () => policy.execute(noop);
  }
  const { installOtel } = await import('./_otel.mjs');
  const { context, trace, metrics } = await import('@opentelemetry/api');
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
    // The least any protected call must do: a span activated around the operation (so the user's spans nest
    // under it), and one duration record.
    return async () => {
      const parent = context.active();
      const span = tracer.startSpan('op', { attributes: { 'op.name': 'op', 'user.id': 'user-1', 'correlation.id': 'c-1' } }, parent);
      const start = performance.now();
      await context.with(trace.setSpan(parent, span), noop);
      histogram.record((performance.now() - start) / 1000, { 'op.name': 'op', outcome: 'success' });
      span.end();
    };
  }
  if (name === 'default') {
    // The configuration a server under the preload runs: every default (no bulkhead, a 30 s timeout, the breaker).
    const { productionMetricReaders } = await import('../../dist/esm/sdk/index.js');
    installOtel(productionMetricReaders());
    const { createProductionSystem } = await import('../../dist/esm/index.js');
    const system = createProductionSystem({}, { healthChecks: { enabled: false } });
    return () => system.executeProtectedOperation('op', undefined, noop);
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
