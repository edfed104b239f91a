import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, propagation } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig, type ProductionConfigInput } from '../../src/config.js';
import { HealthCheckSystem } from '../../src/health/index.js';
import { RateLimitingManager } from '../../src/limits/index.js';
import { ProductionMonitor } from '../../src/monitoring/index.js';
import { OverloadManager } from '../../src/overload/index.js';
import { ErrorRecoveryManager } from '../../src/recovery/index.js';
import { GracefulShutdownManager } from '../../src/shutdown/index.js';
import { ProductionSystem } from '../../src/system.js';
import { productionPropagator } from '../../src/sdk/propagator.js';
import { systemClock, type Clock } from '../../src/internal/time.js';
import { manualClock, type ManualClock } from '../support/clock.js';
import { eventually } from '../support/helpers.js';
import { installTestOtel } from '../support/otel.js';

// The protected client (`system.dependencyFetch`) against a real local HTTP server that answers 503 with
// Retry-After and then recovers. The system is wired as createProductionSystem wires it, with a manual clock
// for the retry budget's and the throttle's windows (so sliding them is exact); the Retry-After waits and the
// breaker's recovery time are real, short ones.

const otel = installTestOtel();
// The propagator the embedded setup and the preload register: W3C trace context and baggage, and the deadline.
propagation.disable();
propagation.setGlobalPropagator(productionPropagator());

interface Hit {
  readonly at: number;
  readonly headers: IncomingHttpHeaders;
}

let server: Server;
let base = '';
const hits: Hit[] = [];
/** What the server answers next: a status and headers, by hit number (1-based). */
let answer: (n: number) => { status: number; headers?: Record<string, string> } = () => ({ status: 200 });

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push({ at: performance.now(), headers: req.headers });
    const { status, headers } = answer(hits.length);
    res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(status === 200 ? 'ok' : 'busy');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const systems: ProductionSystem[] = [];
afterEach(async () => {
  hits.length = 0;
  answer = () => ({ status: 200 });
  otel.spans.reset();
  await Promise.all(systems.splice(0).map((s) => s.components.shutdown.initiateShutdown('test')));
});

function build<K extends Clock = ManualClock>(config: ProductionConfigInput, clock: K = manualClock(1_000_000) as unknown as K) {
  const resolved = resolveConfig({ monitoring: { defaultAlertRules: false }, ...config }, {});
  const monitor = new ProductionMonitor(resolved.monitoring);
  // A fixed random source: a call is refused locally exactly when the refusal probability is above one half.
  const overload = new OverloadManager(resolved.overload, resolved.dependencies, { clock, random: () => 0.5, metrics: false });
  const recovery = new ErrorRecoveryManager(resolved.errorRecovery, {
    clock,
    dependencies: resolved.dependencies,
    deadlineMarginMs: resolved.deadlines.marginMs,
    throttleFor: (dependency) => overload.throttleFor(dependency),
  });
  const limits = new RateLimitingManager(resolved.rateLimiting, resolved.resourceLimits, { logger: monitor });
  const shutdown = new GracefulShutdownManager(resolved.shutdown, { logger: monitor, exit: () => undefined });
  const health = new HealthCheckSystem(resolved.healthChecks, { logger: monitor, isShuttingDown: () => false });
  shutdown.registerHandler('cleanup', { cleanup: () => (recovery.shutdown(), limits.shutdown(), overload.shutdown(), monitor.shutdown()) });
  const system = new ProductionSystem({}, resolved, { recovery, limits, shutdown, monitor, health, overload }, { clock });
  systems.push(system);
  return { system, clock, overload };
}

const noBreaker = { circuitBreaker: false } as const;

describe('the protected client of a named dependency (system.dependencyFetch)', () => {
  it('retries a 503 after its Retry-After, within the retry budget; the last refusal is returned as the Response', async () => {
    const { system } = build({
      errorRecovery: { defaults: { ...noBreaker, retry: { maxRetries: 3, baseDelayMs: 1, jitterFactor: 0, maxDelayMs: 5000 } } },
      // A reserve of one retry per window (0.1/s x 10 s) plus one for every two calls.
      dependencies: { 'svc-b': { retryBudget: { ratio: 0.5, ttlMs: 10_000, minRetriesPerSecond: 0.1 } } },
    });
    const svcB = system.dependencyFetch('svc-b');
    answer = (n) => (n <= 2 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 });

    // Call 1: 503, the budget (1 + 0.5) pays one retry, sent after the 1 s asked for; its 503 is returned.
    const first = await svcB(base);
    expect(first.status).toBe(503);
    expect(await first.text()).toBe('busy');
    expect(hits.length).toBe(2);
    expect(hits[1]!.at - hits[0]!.at).toBeGreaterThanOrEqual(990);
    // Call 2 succeeds at once.
    const second = await svcB(base);
    expect(second.status).toBe(200);
    expect(await second.text()).toBe('ok');
    expect(hits.length).toBe(3);

    // A dependency refusing everything, at once (Retry-After: 0): retries never exceed the budget.
    answer = () => ({ status: 503, headers: { 'retry-after': '0' } });
    const calls = 10;
    for (let i = 0; i < calls; i++) expect((await svcB(base)).status).toBe(503);
    const sent = hits.length - 3;
    const budget = system.getSystemStatus().retryBudgets.find((b) => b.dependency === 'svc-b')!;
    expect(budget).toMatchObject({ owner: 'dependency', calls: calls + 2 });
    // Over the window: retries <= reserve (1) + ratio x calls (0.5 x 12), and the first call's retry was one of them.
    expect(sent - calls).toBeLessThanOrEqual(1 + 0.5 * (calls + 2) - 1);
    expect(budget.retries).toBeLessThanOrEqual(1 + 0.5 * budget.calls);
    expect(budget.exhausted).toBeGreaterThan(0);
  }, 20_000);

  it('one client span per attempt, http.request.resend_count on resends, traceparent, baggage and the deadline on the wire', async () => {
    const { system } = build(
      {
        errorRecovery: { defaults: { ...noBreaker, retry: { maxRetries: 2, baseDelayMs: 1, jitterFactor: 0 } } },
        dependencies: { 'svc-b': {} },
      },
      // The deadline propagator measures the time left on the system clock: the deadline must be on it too.
      systemClock,
    );
    const svcB = system.dependencyFetch('svc-b', { operation: 'svc-b.get' });
    answer = (n) => (n <= 2 ? { status: 503 } : { status: 200 });
    const response = await svcB(`${base}items?q=1`, {
      deadlineMs: 5000,
      criticality: 'sheddable_plus',
      correlationId: 'order-42',
    });
    expect(response.status).toBe(200);
    expect(hits.length).toBe(3);
    const spans = otel.spans.getFinishedSpans();
    const operation = spans.find((s) => s.name === 'svc-b.get')!;
    const clients = spans.filter((s) => s.kind === SpanKind.CLIENT);
    expect(clients.map((s) => s.attributes['http.request.resend_count'])).toEqual([undefined, 1, 2]);
    expect(clients.map((s) => s.attributes['http.response.status_code'])).toEqual([503, 503, 200]);
    for (const [i, client] of clients.entries()) {
      expect(client.name).toBe('GET');
      expect(client.parentSpanContext?.spanId).toBe(operation.spanContext().spanId);
      expect(client.attributes).toMatchObject({
        'http.request.method': 'GET',
        'url.full': `${base}items?q=1`,
        'server.address': '127.0.0.1',
      });
      // Each attempt's request names its own client span as the parent.
      expect(hits[i]!.headers.traceparent).toBe(`00-${client.spanContext().traceId}-${client.spanContext().spanId}-01`);
      const left = Number(hits[i]!.headers['production-deadline-ms']);
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(5000);
      expect(hits[i]!.headers.baggage).toContain('criticality=sheddable_plus');
      expect(hits[i]!.headers.baggage).toContain('correlation_id=order-42');
    }
    expect(clients[0]!.attributes['error.type']).toBe('503');
    expect(operation.attributes['production.attempts']).toBe(3);
  });

  it('a POST is sent once unless it says idempotent (a streamed body never twice); a refused connection is retried, rejects as fetch does, its spans say why', async () => {
    const { system } = build({
      errorRecovery: { defaults: { ...noBreaker, retry: { maxRetries: 1, baseDelayMs: 1, jitterFactor: 0 } } },
      dependencies: { 'svc-b': {} },
    });
    const svcB = system.dependencyFetch('svc-b');
    answer = () => ({ status: 503 });
    expect((await svcB(base, { method: 'POST', body: 'x' })).status).toBe(503);
    expect(hits.length).toBe(1);
    expect((await svcB(base, { method: 'POST', body: 'x', idempotent: true })).status).toBe(503);
    expect(hits.length).toBe(1 + 2);
    // A Request's body is a stream, read once: never re-sent, whatever the call says.
    expect((await svcB(new Request(base, { method: 'POST', body: 'x' }), { idempotent: true })).status).toBe(503);
    expect(hits.length).toBe(3 + 1);
    // A 404 is an answer, not a failure: returned at once, never retried.
    answer = () => ({ status: 404 });
    expect((await svcB(base)).status).toBe(404);
    expect(hits.length).toBe(5);

    otel.spans.reset();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(svcB(`http://user:secret@127.0.0.1:${port}/`)).rejects.toThrow(TypeError);
    const clients = otel.spans.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(clients).toHaveLength(2);
    for (const span of clients) {
      expect(span.attributes['error.type']).toBe('TypeError');
      // No credentials in url.full.
      expect(span.attributes['url.full']).toBe(`http://127.0.0.1:${port}/`);
    }
  });

  it('the breaker opens on failures (CIRCUIT_OPEN, nothing sent) and closes once the dependency recovers', async () => {
    const { system } = build({
      errorRecovery: { defaults: { retry: false, circuitBreaker: { failureThreshold: 3, recoveryTimeoutMs: 200 } } },
      dependencies: { 'svc-b': {} },
    });
    const svcB = system.dependencyFetch('svc-b');
    answer = () => ({ status: 503 });
    for (let i = 0; i < 3; i++) expect((await svcB(base)).status).toBe(503);
    expect(system.getSystemStatus().errorRecovery.openCircuitBreakers).toEqual(['svc-b']);
    await expect(svcB(base)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', operation: 'svc-b' });
    expect(hits.length).toBe(3);

    answer = () => ({ status: 200 });
    // After the recovery time a trial call goes through, succeeds, and closes the breaker.
    const recovered = await eventually(
      async () => {
        const response = await svcB(base).catch((error: { code?: string }) => error.code);
        return typeof response === 'object' && response.status === 200;
      },
      { what: 'a trial call through the half-open breaker', intervalMs: 50 },
    );
    expect(recovered).toBe(true);
    expect(system.getSystemStatus().errorRecovery.openCircuitBreakers).toEqual([]);
    expect((await svcB(base)).status).toBe(200);
  });

  it('client-side throttling: the refusal probability rises while the dependency refuses, falls as the window slides, and 429/503 count as refusals', async () => {
    const { system, clock } = build({
      errorRecovery: { defaults: { ...noBreaker, retry: false } },
      dependencies: { 'svc-b': { throttle: { k: 2, windowMs: 1000, buckets: 10 } } },
    });
    const svcB = system.dependencyFetch('svc-b');
    const probability = () => system.getSystemStatus().overload!.throttles.find((t) => t.dependency === 'svc-b')!.probability;
    answer = (n) => ({ status: n % 2 === 0 ? 429 : 503 });
    const outcomes: Array<number | string> = [];
    for (let i = 0; i < 8; i++)
      outcomes.push(
        await svcB(base).then(
          (r) => r.status,
          (e: { code: string }) => e.code,
        ),
      );
    // Two refusals put p at 2/3 (> the fixed draw of 0.5): from then on calls are refused locally, never sent.
    expect(outcomes.slice(0, 2)).toEqual([503, 429]);
    expect(outcomes.slice(2).every((o) => o === 'THROTTLED')).toBe(true);
    expect(hits.length).toBe(2);
    const risen = probability();
    expect(risen).toBeGreaterThan(0.8);

    // The dependency recovers; half the window later the refusals still count.
    answer = () => ({ status: 200 });
    clock.now += 500;
    expect(probability()).toBe(risen);
    clock.now += 600;
    // The refusals slid out of the window: p is 0, calls go through and count as accepted.
    expect(probability()).toBe(0);
    for (let i = 0; i < 5; i++) expect((await svcB(base)).status).toBe(200);
    expect(probability()).toBe(0);
    expect(system.getSystemStatus().overload!.throttles[0]).toMatchObject({ accepts: 5, requests: 5 });
  });
});

describe('declared dependencies only, and configureDependency at run time', () => {
  it("hands fetch the attempt's signal only when a timeout, the call's deadline or the caller's signal can fire it", async () => {
    const { system } = build({ errorRecovery: { defaults: { ...noBreaker, retry: false, timeoutMs: 0 } }, dependencies: { 'svc-b': {} } });
    const signals: (AbortSignal | null | undefined)[] = [];
    const spy = (input: string | URL | Request, init?: RequestInit) => {
      signals.push(init?.signal);
      return fetch(input, init);
    };
    const svcB = system.dependencyFetch('svc-b', { fetch: spy });
    expect((await svcB(base)).status).toBe(200);
    expect((await svcB(base, { deadlineMs: 5000 })).status).toBe(200);
    expect((await svcB(base, { signal: new AbortController().signal })).status).toBe(200);
    system.configureOperation('svc-b', { timeoutMs: 1000 });
    expect((await svcB(base)).status).toBe(200);
    expect(signals.map((signal) => signal instanceof AbortSignal)).toEqual([false, true, true, true]);
  });

  it('configureOperation naming an undeclared dependency is INVALID_CONFIG naming it; so is dependencyFetch', () => {
    const { system } = build({ dependencies: { 'svc-a': {} } });
    expect(() => system.configureOperation('op', { dependency: 'svc-b' })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'operations.op.dependency', message: expect.stringContaining('"svc-b"') }),
    );
    expect(() => system.dependencyFetch('svc-c')).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringContaining('svc-c') }),
    );
    // A declared one is accepted.
    system.configureOperation('op', { dependency: 'svc-a' });
  });

  it('a config whose default operation names an undeclared dependency does not start', () => {
    expect(() => build({ errorRecovery: { defaults: { dependency: 'nowhere' } } })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'errorRecovery.defaults.dependency' }),
    );
  });

  it('configureDependency declares a dependency, then replaces its budget and throttle; bad settings name the field', async () => {
    const { system } = build({ errorRecovery: { defaults: { ...noBreaker, retry: { maxRetries: 2, baseDelayMs: 1, jitterFactor: 0 } } } });
    expect(() => system.configureDependency('svc-b', { retryBudget: { ratio: -1 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'dependencies.svc-b.retryBudget.ratio' }),
    );
    expect(() => system.configureDependency('bad name', {})).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'dependencies' }),
    );
    // No budget at first: a failing call retries twice.
    system.configureDependency('svc-b', {});
    const svcB = system.dependencyFetch('svc-b');
    answer = () => ({ status: 503 });
    await svcB(base);
    expect(hits.length).toBe(3);
    // An empty budget now (no reserve, no ratio): no retries; the status shows it.
    system.configureDependency('svc-b', { retryBudget: { ratio: 0, minRetriesPerSecond: 0 }, throttle: { k: 2 } });
    await svcB(base);
    expect(hits.length).toBe(4);
    const status = system.getSystemStatus();
    expect(status.retryBudgets).toEqual([expect.objectContaining({ dependency: 'svc-b', calls: 1, retries: 0, exhausted: 1 })]);
    expect(status.overload!.throttles).toEqual([expect.objectContaining({ dependency: 'svc-b', k: 2, requests: 1 })]);
    // Turning the throttle off removes it.
    system.configureDependency('svc-b', { retryBudget: { ratio: 0, minRetriesPerSecond: 0 } });
    expect(system.getSystemStatus().overload!.throttles).toEqual([]);
  });
});
