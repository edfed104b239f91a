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
