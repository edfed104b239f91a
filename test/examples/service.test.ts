import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../instrumentation/helpers.js';

describe('the knowledge-graph service', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kg-checkpoint-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('checkpoints the graph at shutdown and reloads it at the next start', async () => {
    const env = { PRODUCTION_CHECKPOINT_DIR: dir, KG_SEED: 'false' };
    const first = await startService('require', env);
    try {
      const post = (path: string, body: unknown) => fetch(`${first.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
      expect((await post('/entities', { id: 'x', name: 'Xavier', type: 'Person' })).status).toBe(201);
      expect((await post('/entities', { id: 'y', name: 'Yvonne', type: 'Person' })).status).toBe(201);
      expect((await post('/relations', { from: 'x', to: 'y', type: 'knows' })).status).toBe(201);
    } finally {
      expect((await first.stop()).code).toBe(0);
    }
    const second = await startService('require', env);
    try {
      const path = (await (await fetch(`${second.url}/path?from=y&to=x`)).json()) as { relations: string[] };
      expect(path.relations).toEqual(['knows']);
      expect(second.stderr()).toContain('restored 2 entities and 1 relations');
    } finally {
      await second.stop();
    }
  });

  it('GET / lists every route with a curl example that works, bodies of POST /entities and POST /relations included', async () => {
    // Issue 21, finding 4: GET / was a 404, and a newcomer had to read the source for the request bodies.
    const service = await startService('require', {});
    try {
      const index = await fetch(`${service.url}/`);
      expect(index.status).toBe(200);
      const { routes } = (await index.json()) as { routes: Array<{ method: string; path: string; body?: unknown; curl: string }> };
      expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual([
        'POST /entities',
        'GET /entities/{id}',
        'POST /relations',
        'GET /entities/{id}/neighbours',
        'GET /path',
        'GET /search',
        'GET /stats',
        'POST /admin/faults',
        'GET /admin/faults',
      ]);
      for (const method of ['POST /entities', 'POST /relations'])
        expect(routes.find((r) => `${r.method} ${r.path}` === method)!.body).toEqual(expect.any(Object));
      // Each example, as curl would send it: -X method, 'url', -H 'name: value', -d 'body'.
      for (const { curl } of routes) {
        const url = /curl -s (?:-X (\w+) )?'([^']+)'/.exec(curl);
        expect(url, curl).not.toBeNull();
        expect(url![2]!.startsWith(`${service.url}/`), curl).toBe(true);
        const headers = Object.fromEntries([...curl.matchAll(/-H '([^:]+): ([^']+)'/g)].map((m) => [m[1]!, m[2]!]));
        const body = /-d '([^']+)'/.exec(curl)?.[1];
        const res = await fetch(url![2]!, { method: url![1] ?? 'GET', headers, ...(body === undefined ? {} : { body }) });
        expect(res.status, `${curl}: ${await res.text()}`).toBeLessThan(300);
      }
    } finally {
      await service.stop();
    }
  });

  it('refuses faults on an unknown route with the list of routes, and a path without "to" with a 400 naming it', async () => {
    const service = await startService('require', {});
    try {
      const faults = await fetch(`${service.url}/admin/faults`, {
        method: 'POST',
        body: JSON.stringify({ route: 'graph.serach', errorRate: 1 }),
      });
      expect(faults.status).toBe(400);
      const { error } = (await faults.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('INVALID_CONFIG');
      expect(error.message).toContain('no route "graph.serach"');
      for (const route of ['*', 'graph.search', 'graph.path', 'graph.entity.create']) expect(error.message).toContain(route);
      expect(await (await fetch(`${service.url}/admin/faults`)).json()).toEqual({ faults: {} });

      for (const [query, missing] of [
        ['from=ada', 'to'],
        ['to=ada', 'from'],
        ['from=&to=ada', 'from'],
      ] as const) {
        const res = await fetch(`${service.url}/path?${query}`);
        expect(res.status, query).toBe(400);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error).toMatchObject({ code: 'BAD_REQUEST', message: `the query parameter "${missing}" is required` });
      }
    } finally {
      await service.stop();
    }
  });

  it('maps typed errors to HTTP status codes with a JSON error body', async () => {
    const service = await startService('require', { PRODUCTION_RATE_LIMIT_USER_RPS: '1' });
    try {
      const missing = await fetch(`${service.url}/entities/nobody`, { headers: { 'x-correlation-id': 'c-1' } });
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'entity not found', correlationId: 'c-1' } });
      expect((await fetch(`${service.url}/entities`, { method: 'POST', body: '{nope' })).status).toBe(400);
      const bad = await fetch(`${service.url}/admin/faults`, {
        method: 'POST',
        body: JSON.stringify({ route: 'graph.search', latencyMs: -1 }),
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID_CONFIG');
      const statuses: number[] = [];
      let limited: Response | undefined;
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${service.url}/search?q=a`, { headers: { 'x-user-id': 'greedy' } });
        statuses.push(res.status);
        if (res.status === 429) limited = res;
      }
      expect(statuses[0]).toBe(200);
      expect(limited, `statuses ${statuses.join(',')}`).toBeDefined();
      expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await limited!.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
      expect((await fetch(`${service.url}/search?q=a`, { headers: { 'x-user-id': 'someone-else' } })).status).toBe(200);
    } finally {
      await service.stop();
    }
  });
});
