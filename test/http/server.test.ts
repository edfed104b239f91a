import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../src/errors.js';
import { AdminServerError, createAdminServer, type AdminServer } from '../../src/http/index.js';
import { PROMETHEUS_CONTENT_TYPE, HEALTH_CONTENT_TYPE } from '../../src/http/routes.js';
import { freePort } from '../support/helpers.js';
import { healthDoc, healthFixture, request } from './helpers.js';

const TOKEN = 'secret-token-123';

describe('admin server endpoints over real HTTP', () => {
  const fixture = healthFixture(30_000);
  let shuttingDown = false;
  let server: AdminServer;
  let base: string;
  const metricsText = '# HELP up Up\n# TYPE up gauge\nup 1\n';

  beforeAll(async () => {
    const port = await freePort();
    server = createAdminServer({
      config: { port },
      health: fixture.health,
      metrics: async () => metricsText,
      status: () => ({ system: { uptime_seconds: 1 } }),
      isShuttingDown: () => shuttingDown,
      serviceId: 'svc-1',
      version: '1.2.3',
    });
    const address = await server.listen();
    expect(address).toEqual({ host: '127.0.0.1', port });
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await server.close();
    await fixture.health.shutdown();
  });
  afterEach(() => {
    shuttingDown = false;
    fixture.db.mode = 'ok';
    fixture.cache.mode = 'ok';
    fixture.health.setReady();
  });

  it('/livez is 200 ok, also while shutting down and with failing components', async () => {
    fixture.db.mode = 'fail';
    await fixture.health.performFullHealthCheck();
    shuttingDown = true;
    expect(await request(base, '/livez')).toMatchObject({ status: 200, type: 'text/plain; charset=utf-8', body: 'ok\n' });
    expect((await request(base, '/livez?verbose')).body).toBe('[+]ping ok\nlivez check passed\n');
  });

  it('/readyz: 503 before any result, 200 once essential components pass', async () => {
    const fresh = healthFixture();
    const port = await freePort();
    const other = createAdminServer({ config: { port }, health: fresh.health });
    await other.listen();
    try {
      const before = await request(`http://127.0.0.1:${port}`, '/readyz');
      expect(before.status).toBe(503);
      expect(before.body).toBe('[+]shutdown ok\n[-]db failed: unknown: not checked yet\nreadyz check failed\n');
      await fresh.health.performFullHealthCheck();
      expect(await request(`http://127.0.0.1:${port}`, '/readyz')).toMatchObject({ status: 200, body: 'ok\n' });
    } finally {
      await other.close();
      await fresh.health.shutdown();
    }
  });

  it('/readyz?verbose lists essential checks; ?exclude skips one; non-essential failures do not matter', async () => {
    fixture.cache.mode = 'fail';
    await fixture.health.performFullHealthCheck();
    expect(await request(base, '/readyz?verbose')).toMatchObject({ status: 200, body: '[+]shutdown ok\n[+]db ok\nreadyz check passed\n' });
    fixture.db.mode = 'fail';
    await fixture.health.performFullHealthCheck();
    const failed = await request(base, '/readyz?verbose');
    expect(failed.status).toBe(503);
    expect(failed.body).toBe('[+]shutdown ok\n[-]db failed: critical: boom\nreadyz check failed\n');
    const excluded = await request(base, '/readyz?verbose&exclude=db');
    expect(excluded).toMatchObject({ status: 200, body: '[+]shutdown ok\n[+]db excluded: ok\nreadyz check passed\n' });
    expect((await request(base, '/readyz?exclude=db')).body).toBe('ok\n');
  });

  it('/readyz is 503 while shutting down (injected flag or setNotReady)', async () => {
    await fixture.health.performFullHealthCheck();
    shuttingDown = true;
    const res = await request(base, '/readyz');
    expect(res.status).toBe(503);
    expect(res.body).toContain('[-]shutdown failed: shutting down');
    shuttingDown = false;
    fixture.health.setNotReady();
    expect((await request(base, '/readyz')).status).toBe(503);
  });

  it('/health is application/health+json in the IETF shape', async () => {
    await fixture.health.performFullHealthCheck();
    const res = await request(base, '/health');
    expect(res.status).toBe(200);
    expect(res.type).toBe(HEALTH_CONTENT_TYPE);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const doc = healthDoc(res.body);
    expect(doc).toMatchObject({ status: 'pass', serviceId: 'svc-1', version: '1.2.3' });
    expect(Object.keys(doc.checks).sort()).toEqual(['cache:status', 'db:status']);
    expect(doc.checks['db:status']).toEqual([
      {
        componentId: 'db',
        componentType: 'component',
        observedValue: 1,
        observedUnit: 'ms',
        status: 'pass',
        time: new Date(fixture.clock.now).toISOString(),
      },
    ]);
  });

  it('/health: warn for a degraded non-essential component, fail (503) for an essential one or shutdown', async () => {
    fixture.cache.mode = 'fail';
    await fixture.health.performFullHealthCheck();
    let res = await request(base, '/health');
    expect(res.status).toBe(200);
    const doc = healthDoc(res.body);
    expect(doc.status).toBe('warn');
    expect(doc.checks['cache:status']?.[0]).toMatchObject({ status: 'fail', output: 'boom' });
    fixture.db.mode = 'fail';
    await fixture.health.performFullHealthCheck();
    res = await request(base, '/health');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'fail', output: 'essential components not serving: db' });
    fixture.db.mode = 'ok';
    fixture.cache.mode = 'ok';
    await fixture.health.performFullHealthCheck();
    shuttingDown = true;
    res = await request(base, '/health');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'fail', output: 'shutting down' });
  });

  it('a result older than maxResultAgeMs reads as unknown', async () => {
    await fixture.health.performFullHealthCheck();
    fixture.clock.now += 30_001;
    try {
      const ready = await request(base, '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toContain('[-]db failed: unknown: no result within the maximum age');
      const doc = healthDoc((await request(base, '/health')).body);
      expect(doc.status).toBe('warn');
      expect(doc.checks['db:status']?.[0]).toMatchObject({ status: 'warn', output: 'no result within the maximum age' });
      expect(doc.checks['db:status']?.[0]?.observedValue).toBeUndefined();
    } finally {
      await fixture.health.performFullHealthCheck();
    }
  });

  it('a burst of probes answers from held results and never runs a check', async () => {
    await fixture.health.performFullHealthCheck();
    const calls = fixture.db.calls;
    const responses = await Promise.all(Array.from({ length: 60 }, (_, i) => request(base, ['/readyz', '/health', '/livez'][i % 3]!)));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(fixture.db.calls).toBe(calls);
  });

  it('/metrics serves the Prometheus text with its content type; errors are 500', async () => {
    const res = await request(base, '/metrics');
    expect(res).toMatchObject({ status: 200, type: PROMETHEUS_CONTENT_TYPE, body: metricsText });
    const broken = createAdminServer({
      config: { port: await freePort() },
      metrics: () => Promise.reject(new Error('no reader registered')),
    });
    const { port } = await broken.listen();
    try {
      const failed = await request(`http://127.0.0.1:${port}`, '/metrics');
      expect(failed.status).toBe(500);
      expect(failed.body).toContain('no reader registered');
      expect((await request(`http://127.0.0.1:${port}`, '/status')).status).toBe(404);
    } finally {
      await broken.close();
    }
  });

  it('/status.json serves the injected status as JSON; /status serves the page', async () => {
    const res = await request(base, '/status.json');
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json; charset=utf-8');
    expect(JSON.parse(res.body)).toEqual({ system: { uptime_seconds: 1 } });
    const page = await request(base, '/status');
    expect(page.status).toBe(200);
    expect(page.type).toBe('text/html; charset=utf-8');
  });

  it('405 for other methods, 404 for unknown paths, no body for HEAD', async () => {
    const post = await request(base, '/readyz', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await request(base, '/nope')).status).toBe(404);
    const head = await request(base, '/livez', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers.get('content-length')).toBe('3');
  });
});

describe('bearer token', () => {
  const fixture = healthFixture();
  let server: AdminServer;
  let base: string;
  beforeAll(async () => {
    server = createAdminServer({
      config: { port: await freePort(), bearerToken: TOKEN },
      health: fixture.health,
      status: () => ({ secret: true }),
    });
    base = `http://127.0.0.1:${(await server.listen()).port}`;
    fixture.db.mode = 'fail';
    await fixture.health.performFullHealthCheck();
  });
  afterAll(async () => {
    await server.close();
    await fixture.health.shutdown();
  });
  const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

  it('hides health details without the token', async () => {
    const anonymous = await request(base, '/health');
    expect(anonymous.status).toBe(503);
    expect(JSON.parse(anonymous.body)).toEqual({ status: 'fail' });
    expect(JSON.parse((await request(base, '/health', auth('wrong-token-xyz'))).body)).toEqual({ status: 'fail' });
    const authorised = healthDoc((await request(base, '/health', auth(TOKEN))).body);
    expect(authorised.checks['db:status']?.[0]).toMatchObject({ status: 'fail', output: 'boom' });
  });

  it('withholds readiness reasons without the token, but probes still answer', async () => {
    expect((await request(base, '/readyz?verbose')).body).toContain('[-]db failed: reason withheld');
    expect((await request(base, '/readyz?verbose', auth(TOKEN))).body).toContain('[-]db failed: critical: boom');
    expect((await request(base, '/livez')).status).toBe(200);
  });

  it('/status needs the token', async () => {
    const denied = await request(base, '/status.json');
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toBe('Bearer realm="admin"');
    const allowed = await request(base, '/status.json', auth(TOKEN));
    expect(allowed.status).toBe(200);
    expect(JSON.parse(allowed.body)).toEqual({ secret: true });
  });
});

describe('admin server lifecycle', () => {
  it('defaults to 127.0.0.1:9464 and validates its config', () => {
    expect(createAdminServer().config).toMatchObject({ host: '127.0.0.1', port: 9464 });
    expect(() => createAdminServer({ config: { port: 70_000 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'admin.port' }),
    );
    expect(() => createAdminServer({ config: { bearerToken: 'short' } })).toThrow(InvalidConfigError);
  });

  it('refuses to start on a taken port with an error naming host:port', async () => {
    const port = await freePort();
    const first = createAdminServer({ config: { port } });
    await first.listen();
    const second = createAdminServer({ config: { port } });
    try {
      const error = await second.listen().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AdminServerError);
      expect(error).toMatchObject({ code: 'ADDRESS_IN_USE', host: '127.0.0.1', port });
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
      expect(second.server.listening).toBe(false);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('delegates /metrics to a (req, res) handler', async () => {
    const server = createAdminServer({
      config: { port: await freePort() },
      metrics: (_req, res) => {
        res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
        res.end('from_handler 1\n');
      },
    });
    const { port } = await server.listen();
    try {
      expect(await request(`http://127.0.0.1:${port}`, '/metrics')).toMatchObject({
        status: 200,
        type: PROMETHEUS_CONTENT_TYPE,
        body: 'from_handler 1\n',
      });
    } finally {
      await server.close();
    }
  });

  it('close() resolves with keep-alive connections open and the server stops listening', async () => {
    const server = createAdminServer({ config: { port: await freePort() } });
    const { port } = await server.listen();
    await request(`http://127.0.0.1:${port}`, '/livez');
    await server.close();
    expect(server.server.listening).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/livez`)).rejects.toThrow();
  });
});
