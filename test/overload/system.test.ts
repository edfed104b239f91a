import { context, propagation, trace, type Context } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { createProductionSystem, errorResponse, type ProductionConfigInput, type StandardProductionSystem } from '../../src/index.js';
import { OverloadedError, RateLimitedError } from '../../src/errors.js';
import { OverloadManager } from '../../src/overload/manager.js';
import { buildStatusDocument } from '../../src/http/status-data.js';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CBaggagePropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

// Spans in memory; metrics through the embedded readers createProductionSystem sets up (getPrometheusMetrics).
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CBaggagePropagator());
const spans = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
const systems: Array<StandardProductionSystem<object>> = [];
afterAll(async () => {
  for (const s of systems) await s.shutdown();
});

function system(config: ProductionConfigInput = {}): StandardProductionSystem<object> {
  const s = createProductionSystem({}, { healthChecks: { enabled: false }, shutdown: { exitProcess: false }, ...config }, { env: {} });
  systems.push(s);
  return s;
}

/** A limit of exactly one slot and no queue: the second concurrent call is refused at once. */
const ONE_SLOT = { algorithm: 'aimd', initialLimit: 1, minLimit: 1, maxLimit: 1, maxWaitMs: 0 } as const;

/** Holds one call of `operation` in flight until the returned function is called. */
function hold(s: StandardProductionSystem<object>, operation: string): () => Promise<unknown> {
  let release!: () => void;
  const running = s.executeProtectedOperation(operation, undefined, () => new Promise<void>((r) => (release = r)));
  return async () => {
    release();
    return running;
  };
}

const refusal = async (p: Promise<unknown>): Promise<OverloadedError> => (await p.catch((e: unknown) => e)) as OverloadedError;

describe('overload control in the pipeline', () => {
  it('costs nothing when off: no operation has an admission by default', () => {
    const s = system();
    expect(s.components.overload.admissionFor('any')).toBeUndefined();
    expect(s.getSystemStatus().overload).toMatchObject({ limits: [], throttles: [], signals: null, defaultCriticality: 'critical' });
  });

  it('refuses past the adaptive limit with OVERLOADED: rejected, never retried, never a breaker failure; gauges and status show it', async () => {
    const s = system({
      errorRecovery: { defaults: { retry: { maxRetries: 3, baseDelayMs: 0 }, circuitBreaker: { failureThreshold: 1 } } },
      overload: { operations: { search: { concurrency: ONE_SLOT } } },
    });
    const release = hold(s, 'search');
    let ran = 0;
    const error = await refusal(s.executeProtectedOperation('search', 'u', async () => ran++, { criticality: 'sheddable' }));
    expect(error).toBeInstanceOf(OverloadedError);
    expect(error).toMatchObject({ code: 'OVERLOADED', criticality: 'sheddable', reason: 'limit', operation: 'search' });
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(1);
    expect(ran).toBe(0);
    await release();
    expect(s.components.recovery.getCircuitBreakerStatus('search')).toBe('closed');
    await expect(s.executeProtectedOperation('search', 'u', async () => 'ok')).resolves.toBe('ok');
    const span = spans.getFinishedSpans().find((sp) => sp.attributes['production.outcome'] === 'rejected');
    expect(span?.attributes['production.criticality']).toBe('sheddable');
    const overload = s.getSystemStatus().overload!;
    expect(overload.limits).toEqual([expect.objectContaining({ operation: 'search', limit: 1, inFlight: 0 })]);
    expect(overload.shedByClass).toEqual({ sheddable: 1, sheddablePlus: 0, critical: 0, criticalPlus: 0 });
    const text = await s.getPrometheusMetrics();
    expect(text).toMatch(/production_concurrency_limit\{[^}]*production_operation_name="search"[^}]*\} 1/);
    expect(text).toMatch(/production_concurrency_in_flight\{[^}]*production_operation_name="search"[^}]*\} 0/);
    expect(text).toMatch(/production_concurrency_shed_total\{[^}]*production_criticality="sheddable"[^}]*\} 1/);
  });

  it('resolves the class once: option, else the operation default, else valid W3C baggage, else the default', async () => {
    const s = system({ overload: { concurrency: ONE_SLOT, operations: { batch: { criticality: 'sheddable_plus' } } } });
    const release = hold(s, 'other');
    const withBaggage = (value: string): Context =>
      propagation.setBaggage(context.active(), propagation.createBaggage({ criticality: { value } }));
    const refused = (op: string, options?: { criticality?: never }, ctx: Context = context.active()): Promise<OverloadedError> =>
      refusal(context.with(ctx, () => s.executeProtectedOperation(op, undefined, async () => 1, options)));
    expect(
      (await refusal(s.executeProtectedOperation('batch', undefined, async () => 1, { criticality: 'critical_plus' }))).criticality,
    ).toBe('critical_plus');
    expect((await refused('batch')).criticality).toBe('sheddable_plus');
    expect((await refused('batch', undefined, withBaggage('sheddable'))).criticality).toBe('sheddable_plus');
    expect((await refused('other', undefined, withBaggage('sheddable'))).criticality).toBe('sheddable');
    expect((await refused('other', undefined, withBaggage('CRITICAL_PLUS; drop table'))).criticality).toBe('critical');
    await expect(s.executeProtectedOperation('other', undefined, async () => 1, { criticality: 'vip' as never })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      path: 'options.criticality',
    });
    await release();
    // configureOperation sets a class and an operation's own limit at run time.
    s.configureOperation('report', { criticality: 'sheddable', concurrency: { initialLimit: 5, maxLimit: 5 } });
    expect(s.getSystemStatus().overload!.limits.map((l) => l.operation)).toEqual(['*', 'report']);
  });

  it('an operation with concurrency false is outside the global limit', async () => {
    const s = system({ overload: { concurrency: ONE_SLOT, operations: { health: { concurrency: false } } } });
    const release = hold(s, 'work');
    await expect(s.executeProtectedOperation('health', undefined, async () => 'up')).resolves.toBe('up');
    await expect(s.executeProtectedOperation('work', undefined, async () => 1)).rejects.toMatchObject({ code: 'OVERLOADED' });
    await release();
  });

  it('throttles calls to a named dependency that keeps refusing: THROTTLED before the call, not retried, not a breaker failure', async () => {
    const s = system({
      dependencies: { backend: { throttle: { k: 1.1 } } },
      errorRecovery: {
        defaults: { retry: { maxRetries: 2, baseDelayMs: 0 }, circuitBreaker: { failureThreshold: 1000 }, dependency: 'backend' },
      },
    });
    let sent = 0;
    const busy = (): Promise<never> => {
      sent++;
      return Promise.reject(Object.assign(new Error('Service Unavailable'), { status: 503 }));
    };
    const outcomes: string[] = [];
    for (let i = 0; i < 200; i++) {
      outcomes.push(
        ((await s.executeProtectedOperation('fetch', undefined, busy).catch((e: unknown) => e)) as { code?: string }).code ?? 'sent',
      );
    }
    expect(outcomes).toContain('THROTTLED');
    expect(sent).toBeLessThan(600 * 0.5);
    const throttle = s.getSystemStatus().overload!.throttles[0]!;
    expect(throttle).toMatchObject({ dependency: 'backend', k: 1.1 });
    expect(throttle.probability).toBeGreaterThan(0.5);
    // The status page's overload section shows the throttle and the (absent) limits.
    const doc = buildStatusDocument(s.components);
    expect(doc.overload).toMatchObject({
      limits: [],
      throttles: [{ dependency: 'backend', throttled: throttle.throttled }],
      signals: null,
    });
    expect(buildStatusDocument({ ...s.components, overload: undefined }).overload).toBeNull();
    expect(await s.getPrometheusMetrics()).toMatch(/production_throttle_probability\{[^}]*production_dependency="backend"[^}]*\} 0\.\d+/);
  });
});

// Proportional shedding on the signals: test/overload/signals.test.ts.
describe("Node's own signals", () => {
  it('reads the process signals with the default probe', () => {
    const m = new OverloadManager({ signals: {} }, {}, { metrics: false });
    const snap = m.getOverloadStatus().signals!;
    expect(snap.heapUsedRatio).toBeGreaterThan(0);
    expect(snap.heapUsedRatio).toBeLessThan(1);
    expect(snap.eventLoopUtilization).toBeGreaterThanOrEqual(0);
    expect(snap.eventLoopUtilization).toBeLessThanOrEqual(1);
    m.shutdown();
  });
});

describe('HTTP answers (errorResponse)', () => {
  it('OVERLOADED and THROTTLED are 503 with Retry-After in whole seconds; RATE_LIMITED 429; anything else 500', () => {
    expect(errorResponse(new OverloadedError('op', 'critical', 'limit', 1200))).toEqual({
      status: 503,
      headers: { 'retry-after': '2' },
      code: 'OVERLOADED',
    });
    expect(errorResponse({ code: 'THROTTLED' })).toEqual({ status: 503, headers: {}, code: 'THROTTLED' });
    expect(errorResponse(new RateLimitedError('user', 10))).toEqual({ status: 429, headers: { 'retry-after': '1' }, code: 'RATE_LIMITED' });
    expect(errorResponse({ code: 'TIMEOUT', retryAfterMs: 5 })).toEqual({ status: 504, headers: {}, code: 'TIMEOUT' });
    expect(errorResponse(new Error('x'))).toEqual({ status: 500, headers: {}, code: 'INTERNAL' });
    expect(errorResponse(null)).toEqual({ status: 500, headers: {}, code: 'INTERNAL' });
  });
});
