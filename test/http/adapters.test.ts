import express from 'express';
import Fastify from 'fastify';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExpressAdminMiddleware, createFastifyAdminPlugin, createAdminRequestHandler } from '../../src/http/index.js';
import { PROMETHEUS_CONTENT_TYPE, HEALTH_CONTENT_TYPE } from '../../src/http/routes.js';
import { createServer } from 'node:http';
import { freePort } from '../support/helpers.js';
import { healthDoc, healthFixture, request } from './helpers.js';

const TOKEN = 'adapter-token-1';

describe('Express adapter (express 5)', () => {
  const fixture = healthFixture();
  let server: Server;
  let base: string;
  let shuttingDown = false;
  beforeAll(async () => {
    await fixture.health.performFullHealthCheck();
    const app = express();
    app.use(
      '/ops',
      createExpressAdminMiddleware({
        health: fixture.health,
        metrics: () => 'm 1\n',
        isShuttingDown: () => shuttingDown,
        bearerToken: TOKEN,
      }),
    );
    app.get('/ops/other', (_req, res) => void res.send('user route'));
    const port = await freePort();
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(port, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await fixture.health.shutdown();
  });

  it('serves the probes under the mount path', async () => {
    expect(await request(base, '/ops/livez')).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await request(base, '/ops/readyz?verbose')).toMatchObject({
      status: 200,
      body: '[+]shutdown ok\n[+]db ok\nreadyz check passed\n',
    });
    const health = await request(base, '/ops/health', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(health.type).toBe(HEALTH_CONTENT_TYPE);
    expect(healthDoc(health.body).checks['db:status']?.[0]?.status).toBe('pass');
    expect(await request(base, '/ops/metrics')).toMatchObject({ status: 200, type: PROMETHEUS_CONTENT_TYPE, body: 'm 1\n' });
  });

  it('passes other paths on to the app', async () => {
    expect(await request(base, '/ops/other')).toMatchObject({ status: 200, body: 'user route' });
    expect((await request(base, '/ops/missing')).status).toBe(404);
  });

  it('answers 503 while shutting down, every response with Connection: close', async () => {
    expect((await request(base, '/ops/livez')).headers.get('connection')).toBe('keep-alive');
    shuttingDown = true;
    try {
      const ready = await request(base, '/ops/readyz');
      expect(ready.status).toBe(503);
      expect(ready.headers.get('connection')).toBe('close');
      const live = await request(base, '/ops/livez');
      expect(live.status).toBe(200);
      expect(live.headers.get('connection')).toBe('close');
      expect((await request(base, '/ops/metrics')).headers.get('connection')).toBe('close');
    } finally {
      shuttingDown = false;
    }
  });
});

describe('Fastify adapter (fastify 5)', () => {
  const fixture = healthFixture();
  const app = Fastify();
  let base: string;
  let shuttingDown = false;
  beforeAll(async () => {
    fixture.db.mode = 'fail';
    await fixture.health.performFullHealthCheck();
    await app.register(
      createFastifyAdminPlugin({
        health: fixture.health,
        status: () => ({ ok: 1 }),
        bearerToken: TOKEN,
        isShuttingDown: () => shuttingDown,
      }),
      { prefix: '/admin' },
    );
    await app.register(
      createFastifyAdminPlugin({
        isShuttingDown: () => shuttingDown,
        metrics: (_req, res) => {
          res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
          res.end('raw_handler 1\n');
        },
      }),
      { prefix: '/raw' },
    );
    const port = await freePort();
    await app.listen({ port, host: '127.0.0.1' });
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await app.close();
    await fixture.health.shutdown();
  });

  it('serves the probes with status codes, content types and bodies', async () => {
    expect(await request(base, '/admin/livez')).toMatchObject({ status: 200, type: 'text/plain; charset=utf-8', body: 'ok\n' });
    const ready = await request(base, '/admin/readyz?verbose');
    expect(ready).toMatchObject({ status: 503, body: '[+]shutdown ok\n[-]db failed: reason withheld\nreadyz check failed\n' });
    expect((await request(base, '/admin/readyz?exclude=db')).status).toBe(200);
    const health = await request(base, '/admin/health', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(health.status).toBe(503);
    expect(health.type).toBe(HEALTH_CONTENT_TYPE);
    expect(healthDoc(health.body).checks['db:status']?.[0]).toMatchObject({ status: 'fail', output: 'boom' });
    expect((await request(base, '/admin/status.json')).status).toBe(401);
    expect((await request(base, '/admin/status')).status).toBe(200);
    expect(JSON.parse((await request(base, '/admin/status.json', { headers: { authorization: `Bearer ${TOKEN}` } })).body)).toEqual({
      ok: 1,
    });
    expect((await request(base, '/admin/livez', { method: 'HEAD' })).body).toBe('');
  });

  it('closes the connection after every response while shutting down', async () => {
    expect((await request(base, '/admin/livez')).headers.get('connection')).toBe('keep-alive');
    shuttingDown = true;
    try {
      for (const path of ['/admin/livez', '/admin/readyz', '/raw/metrics']) {
        expect((await request(base, path)).headers.get('connection'), path).toBe('close');
      }
    } finally {
      shuttingDown = false;
    }
  });

  it('lets a (req, res) metrics handler write the response itself', async () => {
    expect(await request(base, '/raw/metrics')).toMatchObject({ status: 200, type: PROMETHEUS_CONTENT_TYPE, body: 'raw_handler 1\n' });
    expect((await request(base, '/admin/metrics')).status).toBe(404);
  });
});

describe('node:http handler in a user server', () => {
  it('serves the admin routes and 404s the rest', async () => {
    const handler = createAdminRequestHandler({ metrics: () => 'x 1\n' });
    const server = createServer((req, res) => handler(req, res));
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${port}`;
      expect(await request(base, '/metrics')).toMatchObject({ status: 200, body: 'x 1\n' });
      expect(await request(base, '/readyz/')).toMatchObject({ status: 200, body: 'ok\n' });
      expect((await request(base, '/elsewhere')).status).toBe(404);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
