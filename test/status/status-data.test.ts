import { createHash } from 'node:crypto';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { buildStatusDocument, type StatusSources } from '../../src/http/index.js';
import { AdminRoutes } from '../../src/http/routes.js';
import { STATUS_LIMITS } from '../../src/http/status-data.js';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from '../../src/http/status-page.js';
import { RateLimitingManager } from '../../src/limits/index.js';
import { TopK } from '../../src/limits/top-k.js';
import { type Alert, type LogEntry, type LogFilter, type ResolvedAlert } from '../../src/monitoring/index.js';
import { RequestSeries } from '../../src/monitoring/request-series.js';
import { recentTraces } from '../../src/monitoring/recent-traces.js';
import { Alerting } from '../../src/monitoring/alerting.js';
import { ErrorRecoveryManager } from '../../src/recovery/index.js';
import { HealthCheckSystem } from '../../src/health/index.js';
import { GracefulShutdownManager } from '../../src/shutdown/index.js';
import { RecentTracesProcessor } from '../../src/sdk/recent-traces.js';
import { errorRecoveryConfigSchema } from '../../src/recovery/config.js';
import { getMeter, getTracer } from '../../src/telemetry/api.js';
import { gauge, histogram, snapshot } from '../monitoring/helpers.js';
import { clockOf } from '../support/clock.js';

const XSS = '<img src=x onerror=alert(1)>';
const BOUNDS = [0.005, 0.01, 0.1, 1];

function alert(name: string, state: 'pending' | 'firing'): Alert {
  return {
    name,
    state,
    severity: 'critical',
    labels: { alertname: name, op: XSS },
    annotations: { summary: `open on ${XSS}` },
    value: 1,
    activeAt: 1_000,
    firedAt: state === 'firing' ? 2_000 : undefined,
    fingerprint: 'f',
  };
}

function logs(count: number): LogEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    timestamp: 1_000 + i,
    level: i % 2 === 0 ? 'error' : 'info',
    component: 'system',
    operation: XSS,
    message: `failed ${XSS} #${i}`,
    metadata: i === 0 ? { big: 'x'.repeat(5000) } : {},
    correlationId: i % 3 === 0 ? 'cid-3' : `cid-${i}`,
    executionTimeMs: undefined,
    traceId: undefined,
    spanId: undefined,
  }));
}

async function sources(): Promise<{
  sources: StatusSources;
  filters: LogFilter[];
  limits: RateLimitingManager;
  recovery: ErrorRecoveryManager;
}> {
  const recovery = new ErrorRecoveryManager(
    errorRecoveryConfigSchema.parse({ defaults: { retry: false, circuitBreaker: { failureThreshold: 2 }, timeoutMs: 0 } }),
  );
  for (let i = 0; i < 3; i++) await recovery.executeWithRecovery(XSS, () => Promise.reject(new Error('boom'))).catch(() => undefined);
  await recovery.executeWithRecovery('fine', () => Promise.resolve(1));
  const limits = new RateLimitingManager(
    { perUser: { algorithm: 'token_bucket', capacity: 1, refillPerSecond: 0.001 } },
    {},
    { metrics: false },
  );
  for (let u = 0; u < 30; u++) {
    for (let i = 0; i <= u % 15; i++) {
      try {
        void limits.checkRateLimit('op', `user-${u}`);
      } catch {
        /* refused */
      }
    }
  }
  const filters: LogFilter[] = [];
  const shutdown = new GracefulShutdownManager({});
  const entries = logs(1000);
  const resolved: ResolvedAlert[] = [{ ...alert('Gone', 'firing'), resolvedAt: 3_000 }];
  return {
    filters,
    limits,
    recovery,
    sources: {
      recovery,
      limits,
      health: {
        getHealthStatus: () => ({
          status: 'warning',
          ready: true,
          shuttingDown: false,
          notReadyReason: null,
          running: true,
          summary: { total: 1, healthy: 0, warning: 0, critical: 1, unknown: 0 },
          components: {
            [XSS]: {
              status: 'critical',
              essential: false,
              stale: false,
              consecutiveFailures: 3,
              totalChecks: 3,
              totalFailures: 3,
              avgResponseTimeMs: 2,
              lastError: XSS,
              lastSuccess: null,
              lastCheck: '2026-01-01T00:00:00.000Z',
            },
          },
        }),
      },
      monitor: {
        healthCheck: () => ({ status: 'healthy', problems: [] }),
        getActiveAlerts: () => [alert('ProductionCircuitOpen', 'firing'), alert('Pending', 'pending')],
        getResolvedAlerts: () => resolved,
        getRecentLogs: (filter?: LogFilter) => {
          filters.push(filter!);
          return entries
            .filter((e) => filter?.correlationId === undefined || e.correlationId === filter.correlationId)
            .slice(0, filter?.limit ?? 100);
        },
        getRequestSeries: () => [{ timestamp: 1, requestsPerSecond: 2, errorRate: 0.5, p99Ms: null }],
      },
      shutdown: {
        getShutdownProgress: () => ({
          ...shutdown.getShutdownProgress(),
          phase: 'finish_active_requests',
          shuttingDown: true,
          reason: `x${'y'.repeat(5000)}`,
          startedAt: '2026-01-01T00:00:00.000Z',
        }),
      },
      activeOperations: () => 4,
      traceUrlTemplate: 'http://jaeger.local/trace/{traceId}',
      traces: (n) =>
        Array.from({ length: Math.min(n, 500) }, (_, i) => ({
          traceId: 'a'.repeat(32),
          spanId: 'b'.repeat(16),
          operation: XSS,
          outcome: 'error',
          durationMs: i,
          endedAt: 5_000,
          correlationId: 'c',
          errorType: 'Error',
        })),
      now: () => 10_000_000,
    },
  };
}

describe('buildStatusDocument', () => {
  it('assembles every section from the components, with breakers and time in state', async () => {
    const { sources: s, limits } = await sources();
    const doc = buildStatusDocument(s);
    expect(doc.health).toMatchObject({ status: 'warning', ready: true, components: [{ name: XSS, status: 'critical', lastError: XSS }] });
    const op = doc.operations.find((o) => o.name === XSS)!;
    // The third call is refused by the open breaker, which executeWithRecovery counts as a failure.
    expect(op).toMatchObject({ calls: 3, failures: 3, rejections: 0, errorRate: 1, breaker: { state: 'open' } });
    expect(op.breaker!.timeInStateMs).toBeGreaterThanOrEqual(0);
    expect(doc.operations.find((o) => o.name === 'fine')).toMatchObject({ calls: 1, errorRate: 0, breaker: { state: 'closed' } });
    expect(doc.rateLimiting.scopes.find((x) => x.scope === 'user')).toMatchObject({ allowed: 30 });
    expect(doc.rateLimiting.topRejectedUsers).toHaveLength(STATUS_LIMITS.topUsers);
    expect(doc.rateLimiting.topRejectedUsers[0]).toEqual({ userId: 'user-14', rejections: 14, error: 0 });
    expect(doc.resources.rows.map((r) => r.resource)).toEqual(['memory', 'cpu', 'event_loop_delay', 'operations', 'db_connections']);
    expect(doc.alerts.active.map((a) => [a.name, a.state])).toEqual([
      ['ProductionCircuitOpen', 'firing'],
      ['Pending', 'pending'],
    ]);
    expect(doc.alerts.resolved[0]).toMatchObject({ name: 'Gone', state: 'resolved', resolvedAt: new Date(3_000).toISOString() });
    expect(doc.shutdown).toMatchObject({
      inProgress: true,
      progress: { phase: 'finish_active_requests', shuttingDown: true, startedAt: '2026-01-01T00:00:00.000Z', activeRequests: 0 },
    });
    expect(doc.shutdown.progress.reason).toHaveLength(STATUS_LIMITS.text);
    expect(doc.process.activeOperations).toBe(4);
    expect(doc.series).toEqual([{ timestamp: 1, requestsPerSecond: 2, errorRate: 0.5, refusalRate: 0, p99Ms: null }]);
    expect(doc.traces.recent[0]).toMatchObject({ operation: XSS, url: `http://jaeger.local/trace/${'a'.repeat(32)}` });
    await limits.shutdown();
  });

  it('passes the log filter through and bounds every list', async () => {
    const { sources: s, filters, limits } = await sources();
    const filtered = buildStatusDocument(s, new URLSearchParams({ level: 'error', correlationId: 'cid-3', logs: '20' }));
    expect(filters.at(-1)).toEqual({ limit: 20, level: 'error', correlationId: 'cid-3' });
    expect(filtered.logs.entries.length).toBeLessThanOrEqual(20);
    expect(filtered.logs.entries.every((e) => e.correlationId === 'cid-3')).toBe(true);
    const huge = buildStatusDocument(s, new URLSearchParams({ logs: '1000000', traces: '1000000', level: '<script>' }));
    expect(filters.at(-1)).toEqual({ limit: STATUS_LIMITS.logsMax });
    expect(huge.logs.entries).toHaveLength(STATUS_LIMITS.logsMax);
    expect(huge.traces.recent).toHaveLength(STATUS_LIMITS.tracesMax);
    expect(buildStatusDocument(s, new URLSearchParams({ logs: '-1' })).logs.entries).toHaveLength(STATUS_LIMITS.logsDefault);
    expect(huge.logs.entries.at(-1)!.details.length).toBeLessThanOrEqual(500);
    await limits.shutdown();
  });

  it('headline: errors and refusals of the last minute as two figures, each with its count (issue 21, finding 6)', async () => {
    // The headline "error rate" said 0.1 % while 45 % of calls were refused: refusals are a figure of their own.
    const { sources: s, limits } = await sources();
    const now = 10_000_000;
    const point = (ago: number, calls: number, errors: number, refusals: number) => ({
      timestamp: now - ago,
      requestsPerSecond: calls / 10,
      errorRate: errors / calls,
      refusalRate: refusals / calls,
      calls,
      p99Ms: 5,
    });
    const doc = buildStatusDocument({
      ...s,
      now: () => now,
      // The oldest point is outside the last minute; the others cover 50 s.
      monitor: { ...s.monitor, getRequestSeries: () => [point(70_000, 100, 100, 0), point(50_000, 1000, 1, 450), point(0, 1000, 1, 450)] },
    });
    expect(doc.headline).toEqual({ windowSeconds: 70, calls: 2000, errors: 2, refusals: 900, errorRate: 0.001, refusalRate: 0.45 });
    expect(doc.series.map((p) => p.refusalRate)).toEqual([0, 0.45, 0.45]);
    const empty = buildStatusDocument({ ...s, now: () => now, monitor: { ...s.monitor, getRequestSeries: () => [] } });
    expect(empty.headline).toEqual({ windowSeconds: 0, calls: 0, errors: 0, refusals: 0, errorRate: 0, refusalRate: 0 });
    await limits.shutdown();
  });

  it('gives each log entry its metadata as key/value pairs, bounded', async () => {
    const { sources: s, limits } = await sources();
    const metadata: Record<string, unknown> = {
      'error.type': 'CIRCUIT_OPEN',
      attempts: 3,
      nested: { a: 1 },
      skipped: undefined,
      took: 0.5070070000001579,
    };
    for (let i = 0; i < 30; i++) metadata[`k${i}`] = 'v'.repeat(1000);
    const entry = {
      timestamp: 1,
      level: 'warn' as const,
      component: 'c',
      operation: 'o',
      message: 'm',
      metadata,
      correlationId: undefined,
      executionTimeMs: undefined,
      traceId: undefined,
      spanId: undefined,
    };
    const doc = buildStatusDocument({ ...s, monitor: { ...s.monitor, getRecentLogs: () => [entry] } });
    const { fields } = doc.logs.entries[0]!;
    expect(fields.slice(0, 4)).toEqual([
      { key: 'error.type', value: 'CIRCUIT_OPEN' },
      { key: 'attempts', value: '3' },
      { key: 'nested', value: '{"a":1}' },
      { key: 'took', value: '0.507' },
    ]);
    expect(fields).toHaveLength(20);
    expect(Math.max(...fields.map((f) => f.value.length))).toBeLessThanOrEqual(200);
    await limits.shutdown();
  });

  it('keeps markup as data and makes trace links only from http(s) templates', async () => {
    const { sources: s, limits } = await sources();
    const json = JSON.stringify(buildStatusDocument(s));
    expect((JSON.parse(json) as { operations: Array<{ name: string }> }).operations.some((o) => o.name === XSS)).toBe(true);
    const unsafe = buildStatusDocument({ ...s, traceUrlTemplate: 'javascript:alert(1)//{traceId}' }).traces;
    expect(unsafe.urlTemplate).toBeNull();
    expect(unsafe.recent.every((t) => t.url === null)).toBe(true);
    expect(buildStatusDocument({ ...s, traceUrlTemplate: undefined }).traces.recent[0]!.url).toBeNull();
    await limits.shutdown();
  });

  it('shows fresh components with nothing to report, and a monitor without a health view, as empty', async () => {
    const limits = new RateLimitingManager({}, {}, { metrics: false });
    const doc = buildStatusDocument({
      recovery: new ErrorRecoveryManager(errorRecoveryConfigSchema.parse({})),
      limits,
      health: new HealthCheckSystem({}),
      monitor: {},
      shutdown: new GracefulShutdownManager({}),
      traces: () => [],
    });
    expect(doc).toMatchObject({
      operations: [],
      alerts: { active: [], resolved: [] },
      logs: { entries: [] },
      shutdown: { inProgress: false, progress: { phase: 'running', shuttingDown: false, startedAt: null } },
      health: { status: 'healthy', components: [] },
      monitoring: { status: 'unknown', problems: [] },
      rateLimiting: { store: 'memory', trackedUsers: 0 },
    });
    await limits.shutdown();
  });
});

describe('the /status routes', () => {
  const routes = new AdminRoutes({ status: (query) => ({ level: query.get('level') }), bearerToken: 'a-long-enough-token' });
  const get = (path: string, query = '', authorization?: string) =>
    routes.handle({ method: 'GET', path, query: new URLSearchParams(query), authorization });

  it('serves the page as self-contained HTML under a CSP that pins its inline blocks', async () => {
    const page = (await get('/status'))!;
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toBe(STATUS_PAGE_HTML);
    const csp = page.headers['content-security-policy']!;
    expect(csp).toBe(STATUS_PAGE_CSP);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    const script = /<script>([\s\S]*)<\/script>/.exec(page.body)![1]!;
    const style = /<style>([\s\S]*)<\/style>/.exec(page.body)![1]!;
    expect(csp).toContain(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(csp).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    // Nothing from elsewhere: no external scripts, styles, images or links (the SVG namespace is a name, not a fetch).
    expect(page.body).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=/i);
    expect(page.body.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\/|\/\/[a-z0-9.-]+\//i);
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    expect(page.body.match(/<script/g)).toHaveLength(1);
  });

  it('needs the token for the data, passes the query, and 404s without a status source', async () => {
    expect((await get('/status.json'))!.status).toBe(401);
    const ok = (await get('/status.json', 'level=warn', 'Bearer a-long-enough-token'))!;
    expect(ok).toMatchObject({ status: 200, body: '{"level":"warn"}' });
    expect(ok.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(
      (await new AdminRoutes({}).handle({ method: 'GET', path: '/status', query: new URLSearchParams(), authorization: undefined }))!
        .status,
    ).toBe(404);
  });
});

describe('bounded parts behind the page', () => {
  it('TopK holds at most its capacity and keeps the heavy hitters', () => {
    const top = new TopK(10);
    for (let i = 0; i < 10_000; i++) top.add(`rare-${i}`);
    for (let i = 0; i < 3000; i++) top.add(i % 3 === 0 ? 'heavy-a' : i % 3 === 1 ? 'heavy-b' : `rare-x${i}`);
    expect(top.size).toBe(10);
    expect(top.counted).toBe(13_000);
    const keys = top.top(2).map((e) => e.key);
    expect(keys.sort()).toEqual(['heavy-a', 'heavy-b']);
    for (const e of top.top(10)) expect(e.count).toBeGreaterThanOrEqual(e.error);
    expect(() => new TopK(0)).toThrow(RangeError);
  });

  it('RequestSeries turns cumulative histograms into rate, error rate and p99, in a ring', () => {
    const series = new RequestSeries(3);
    const at = (t: number, ok: number[], err: number[], refused = [0, 0, 0, 0, 0]) =>
      snapshot(t, [
        histogram('production.operation.duration', BOUNDS, [
          [{ 'production.outcome': 'success' }, ok],
          [{ 'production.outcome': 'error' }, err],
          [{ 'production.outcome': 'rejected' }, refused],
        ]),
        gauge('other', [[{}, 1]]),
      ]);
    series.observe(at(0, [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]));
    expect(series.points()).toEqual([]);
    series.observe(at(1000, [10, 0, 0, 0, 0], [0, 0, 0, 0, 0]));
    series.observe(at(2000, [10, 0, 0, 0, 0], [0, 0, 0, 10, 0]));
    const [first, second] = series.points();
    expect(first).toMatchObject({ timestamp: 1000, requestsPerSecond: 10, errorRate: 0 });
    expect(first!.p99Ms).toBeLessThanOrEqual(5);
    expect(second).toMatchObject({ timestamp: 2000, requestsPerSecond: 10, errorRate: 1 });
    expect(second!.p99Ms).toBeGreaterThan(100);
    series.observe(at(3000, [1, 0, 0, 0, 0], [0, 0, 0, 0, 0]));
    series.observe(at(4000, [1, 0, 0, 0, 0], [0, 0, 0, 0, 0]));
    const points = series.points();
    expect(points.map((p) => p.timestamp)).toEqual([2000, 3000, 4000]);
    expect(points[1]).toMatchObject({ requestsPerSecond: 1 });
    expect(points[2]).toMatchObject({ requestsPerSecond: 0, errorRate: 0, p99Ms: null });
    // Refusals are their own rate, not errors.
    series.observe(at(5000, [2, 0, 0, 0, 0], [0, 0, 0, 0, 0], [3, 0, 0, 0, 0]));
    expect(series.points().at(-1)).toMatchObject({ requestsPerSecond: 4, errorRate: 0, refusalRate: 0.75, calls: 4 });
  });

  it('keeps resolved alerts in a bounded ring, newest first', () => {
    let now = 0;
    const alerting = new Alerting({
      engine: {
        maxInstancesPerRule: 10,
        resendIntervalMs: 60_000,
        evaluationIntervalMs: 1000,
        maxWindowMs: 600_000,
        externalUrl: 'http://x',
      },
      log: () => undefined,
      tracer: getTracer(),
      meter: getMeter(),
      clock: clockOf(() => now),
      resolvedHistory: 2,
    });
    alerting.addRule({
      name: 'Hot',
      metric: 'temp',
      aggregation: 'value',
      groupBy: ['room'],
      comparison: '>',
      threshold: 1,
      forMs: 0,
      severity: 'warning',
    });
    for (let i = 0; i < 3; i++) {
      now = i * 10 + 1;
      alerting.evaluate(snapshot(now, [gauge('temp', [[{ room: `r${i}` }, 5]])]));
      now = i * 10 + 2;
      alerting.evaluate(snapshot(now, [gauge('temp', [[{ room: `r${i}` }, 0]])]));
    }
    const resolved = alerting.resolvedAlerts();
    expect(resolved.map((a) => [a.labels.room, a.resolvedAt])).toEqual([
      ['r2', 22],
      ['r1', 12],
    ]);
    expect(alerting.activeAlerts()).toEqual([]);
  });

  it('RecentTracesProcessor keeps operation spans only, bounded, and registers itself', async () => {
    const processor = new RecentTracesProcessor(3);
    expect(recentTraces.source()).toBe(processor);
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    const tracer = provider.getTracer('t');
    tracer.startSpan('plain').end();
    for (let i = 0; i < 5; i++) {
      tracer
        .startSpan(`op${i}`, {
          attributes: {
            'production.operation.name': `op${i}`,
            'production.outcome': i === 4 ? 'error' : 'success',
            'production.correlation_id': `c${i}`,
            'error.type': i === 4 ? 'Boom' : undefined,
          },
        })
        .end();
    }
    const listed = recentTraces.list(10);
    expect(listed.map((t) => t.operation)).toEqual(['op4', 'op3', 'op2']);
    expect(listed[0]).toMatchObject({ outcome: 'error', correlationId: 'c4', errorType: 'Boom' });
    expect(listed[0]!.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(listed[0]!.durationMs).toBeGreaterThanOrEqual(0);
    await provider.shutdown();
    expect(recentTraces.source()).toBeUndefined();
    expect(recentTraces.list()).toEqual([]);
  });
});
