import express from 'express';
import Fastify from 'fastify';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createExpressOverloadMiddleware,
  createFastifyOverloadHook,
  createOverloadGuard,
  withOverloadGuard,
} from '../../src/http/index.js';
import { criticalityFromBaggageHeader } from '../../src/http/overload-guard.js';
import { OverloadManager } from '../../src/overload/manager.js';
import type { LoopLag } from '../../src/overload/queue-delay.js';

/**
 * Overload control whose loop lag the test sets: at 90 ms the refused share is at its cap for all but critical_plus
 * (and under the 100 ms a critical_plus call may meet before it is cut as part of a burst).
 */
function overloaded(): OverloadManager {
  const lag: LoopLag = { lagMs: () => 90, start() {}, stop() {} };
  // The interval timer never fires within a test: the one update below is the judgement.
  const m = new OverloadManager({ queueDelay: { gain: 1, intervalMs: 60_000 } }, {}, { loopLag: lag, random: () => 0.99, metrics: false });
  m.queueDelay!.update();
  return m;
}

const managers: OverloadManager[] = [];
const servers: Server[] = [];
afterAll(async () => {
  for (const m of managers) m.shutdown();
  for (const s of servers) await new Promise((r) => s.close(r));
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A handler that counts the requests it saw and how many body bytes it read. */
function app() {
  const seen = { requests: 0, bodyBytes: 0 };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    seen.requests++;
    req.on('data', (d: Buffer) => (seen.bodyBytes += d.length));
    req.on('end', () => res.end('served'));
  };
  return { seen, handler };
}

const post = (url: string, headers: Record<string, string> = {}) => fetch(url, { method: 'POST', body: 'x'.repeat(64 * 1024), headers });

describe('HTTP edge guards: refusal before the handler runs and before the body is read', () => {
  it('node:http: 503 with Retry-After, the handler never called, the body never read; critical_plus still served', async () => {
    const m = overloaded();
    managers.push(m);
    const { seen, handler } = app();
    const base = await listen(createServer(withOverloadGuard(m, handler)));
    const refused = await post(`${base}/work`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.text()).toBe('overloaded\n');
    expect(seen).toEqual({ requests: 0, bodyBytes: 0 });
    // The class travels in W3C baggage; the last class is refused last (0.96 at the cap, random 0.99 admits it).
    const served = await post(`${base}/work`, { baggage: 'user=1, criticality=critical_plus' });
    expect(served.status).toBe(200);
    expect(seen.requests).toBe(1);
    expect(m.getOverloadStatus().shedByClass).toMatchObject({ critical: 1, criticalPlus: 0 });
  });

  it('Express: the middleware refuses before any route or body parser; a system works as the source', async () => {
    const m = overloaded();
    managers.push(m);
    const server = express();
    let parsed = 0;
    server.use(
      createExpressOverloadMiddleware(
        { components: { overload: m } },
        { criticality: (req) => (req.url === '/vip' ? 'critical_plus' : undefined) },
      ),
    );
    server.use(express.text({ type: '*/*', limit: '1mb' }));
    server.post('/{*path}', (req, res) => {
      parsed += String(req.body).length;
      res.send('served');
    });
    const base = await listen(createServer(server));
    const refused = await post(`${base}/work`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(parsed).toBe(0);
    expect((await post(`${base}/vip`)).status).toBe(200);
    expect(parsed).toBe(64 * 1024);
  });

  it('Fastify: the onRequest hook answers before the body is parsed', async () => {
    const m = overloaded();
    managers.push(m);
    const fastify = Fastify();
    let handled = 0;
    fastify.addHook('onRequest', createFastifyOverloadHook(m));
    fastify.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    fastify.post('/work', () => {
      handled++;
      return 'served';
    });
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    try {
      const base = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`;
      const refused = await post(`${base}/work`, { 'content-type': 'text/plain' });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(handled).toBe(0);
      const served = await post(`${base}/work`, { 'content-type': 'text/plain', baggage: 'criticality=critical_plus' });
      expect(served.status).toBe(200);
      expect(handled).toBe(1);
    } finally {
      await fastify.close();
    }
  });

  it('admits everything when the queue-delay control is off, and refuses a source without overload control', () => {
    const m = new OverloadManager({}, {}, { metrics: false });
    managers.push(m);
    const guard = createOverloadGuard(m);
    const res = { writeHead: () => expect.fail('no refusal'), end: () => undefined } as never;
    expect(guard({ headers: {} } as IncomingMessage, res)).toBe(false);
    expect(() => createOverloadGuard({ components: {} })).toThrow(/overload control/);
  });

  it('reads the criticality baggage entry exactly, ignoring look-alikes and properties', () => {
    expect(criticalityFromBaggageHeader(undefined)).toBeUndefined();
    expect(criticalityFromBaggageHeader('criticality=sheddable')).toBe('sheddable');
    expect(criticalityFromBaggageHeader('a=1,criticality = critical_plus;prop=1')).toBe('critical_plus');
    expect(criticalityFromBaggageHeader(['a=1', 'criticality=sheddable_plus'])).toBe('sheddable_plus');
    expect(criticalityFromBaggageHeader('xcriticality=sheddable')).toBeUndefined();
    expect(criticalityFromBaggageHeader('criticality=urgent')).toBeUndefined();
    expect(criticalityFromBaggageHeader('criticalityx=1, criticality=critical')).toBe('critical');
  });
});
