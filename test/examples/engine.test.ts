import { describe, expect, it } from 'vitest';

// The example is plain JavaScript; these are the shapes the tests use.
interface Entity {
  id: string;
  name: string;
  type: string;
}
interface Graph {
  addEntity(input: { id?: string; name: unknown; type: unknown }): Entity;
  addRelation(input: { from: unknown; to: unknown; type: unknown }): unknown;
  getEntity(id: string): Entity | undefined;
  neighbours(
    id: string,
    options?: { type?: string; limit?: number },
  ): Array<{ entity: Entity; relation: string; direction: string }> | undefined;
  shortestPath(from: string, to: string, maxDepth?: number): { path: Entity[]; relations: string[] } | null | undefined;
  search(query: string, limit?: number): Entity[];
  healthCheck(): { status: string };
  stats(): Record<string, unknown>;
  exportState(): unknown;
  importState(state: unknown): { entities: number; relations: number };
}
interface Faults {
  configure(input: Record<string, unknown>): Record<string, unknown>;
  apply(route: string, signal?: AbortSignal): Promise<void>;
}
const engineUrl = new URL('../../examples/knowledge-graph/engine.mjs', import.meta.url).href;
const faultsUrl = new URL('../../examples/knowledge-graph/faults.mjs', import.meta.url).href;
const { KnowledgeGraph } = (await import(engineUrl)) as {
  KnowledgeGraph: new (limits?: { maxEntities?: number; maxRelations?: number }) => Graph;
};
const { FaultInjector } = (await import(faultsUrl)) as { FaultInjector: new (env?: NodeJS.ProcessEnv, random?: () => number) => Faults };

function chain(): Graph {
  // a -knows-> b -knows-> c -works_at-> d, plus a shortcut a -likes-> d, and an island e
  const g = new KnowledgeGraph();
  for (const [id, name] of [
    ['a', 'Alice Smith'],
    ['b', 'Bob'],
    ['c', 'Carol Alison'],
    ['d', 'Acme'],
    ['e', 'Alice'],
  ])
    g.addEntity({ id: id!, name, type: 'Person' });
  g.addRelation({ from: 'a', to: 'b', type: 'knows' });
  g.addRelation({ from: 'b', to: 'c', type: 'knows' });
  g.addRelation({ from: 'c', to: 'd', type: 'works_at' });
  return g;
}

describe('KnowledgeGraph', () => {
  it('lists neighbours in both directions, filtered by relation type and limited', () => {
    const g = chain();
    expect(g.neighbours('b')!.map((n) => [n.entity.id, n.relation, n.direction])).toEqual([
      ['a', 'knows', 'in'],
      ['c', 'knows', 'out'],
    ]);
    expect(g.neighbours('c', { type: 'works_at' })!.map((n) => n.entity.id)).toEqual(['d']);
    expect(g.neighbours('b', { limit: 1 })).toHaveLength(1);
    expect(g.neighbours('nobody')).toBeUndefined();
  });

  it('finds the fewest-hops path over relations in either direction', () => {
    const g = chain();
    const long = g.shortestPath('d', 'a')!;
    expect(long.path.map((e) => e.id)).toEqual(['d', 'c', 'b', 'a']);
    expect(long.relations).toEqual(['works_at', 'knows', 'knows']);
    g.addRelation({ from: 'a', to: 'd', type: 'likes' });
    expect(g.shortestPath('a', 'd')!.path.map((e) => e.id)).toEqual(['a', 'd']);
    expect(g.shortestPath('a', 'a')).toEqual({ path: [g.getEntity('a')], relations: [] });
  });

  it('says null when no path is short enough and undefined for unknown entities', () => {
    const g = chain();
    expect(g.shortestPath('a', 'e')).toBeNull();
    expect(g.shortestPath('a', 'd', 2)).toBeNull();
    expect(g.shortestPath('a', 'd', 3)).not.toBeNull();
    expect(g.shortestPath('a', 'zz')).toBeUndefined();
  });

  it('searches names case-insensitively: exact, then prefix, then substring', () => {
    const g = chain();
    expect(g.search('ALICE').map((e) => e.id)).toEqual(['e', 'a']);
    expect(g.search('ali').map((e) => e.id)).toEqual(['e', 'a', 'c']);
    expect(g.search('ali', 2)).toHaveLength(2);
    expect(g.search('  ')).toEqual([]);
    expect(g.search('zebra')).toEqual([]);
  });

  it('rejects bad input with typed errors and keeps within its caps', () => {
    const g = new KnowledgeGraph({ maxEntities: 2, maxRelations: 1 });
    g.addEntity({ id: 'x', name: 'X', type: 'T' });
    expect(() => g.addEntity({ id: 'x', name: 'again', type: 'T' })).toThrow(expect.objectContaining({ code: 'CONFLICT', status: 409 }));
    expect(() => g.addEntity({ name: '', type: 'T' })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => g.addEntity({ name: 'ok', type: 'bad type' })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => g.addRelation({ from: 'x', to: 'missing', type: 'r' })).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND', status: 404 }),
    );
    const y = g.addEntity({ name: 'Y', type: 'T' });
    expect(y.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(() => g.addEntity({ name: 'Z', type: 'T' })).toThrow(expect.objectContaining({ code: 'GRAPH_FULL' }));
    g.addRelation({ from: 'x', to: y.id, type: 'r' });
    g.addRelation({ from: 'x', to: y.id, type: 'r' }); // the same relation again is not a new one
    expect(() => g.addRelation({ from: y.id, to: 'x', type: 'r' })).toThrow(expect.objectContaining({ code: 'GRAPH_FULL' }));
    expect(g.healthCheck().status).toBe('warning');
    expect(g.stats()).toMatchObject({ entities: 2, relations: 1, entity_types: { T: 2 } });
  });

  it('round-trips its state through a JSON checkpoint', () => {
    const g = chain();
    const copy = new KnowledgeGraph();
    expect(copy.importState(JSON.parse(JSON.stringify(g.exportState())))).toEqual({ entities: 5, relations: 3 });
    expect(copy.shortestPath('a', 'd')!.relations).toEqual(['knows', 'knows', 'works_at']);
    expect(copy.healthCheck().status).toBe('healthy');
    expect(() => copy.importState({ version: 2 })).toThrow(expect.objectContaining({ code: 'BAD_CHECKPOINT' }));
  });
});

describe('FaultInjector', () => {
  it('injects errors at the configured rate per route, with * as the fallback', async () => {
    let next = 0.5;
    const faults = new FaultInjector({}, () => next);
    await faults.apply('graph.search');
    faults.configure({ route: 'graph.search', errorRate: 0.6 });
    await expect(faults.apply('graph.search')).rejects.toThrow('injected fault on graph.search');
    next = 0.7;
    await expect(faults.apply('graph.search')).resolves.toBeUndefined();
    await expect(faults.apply('graph.path')).resolves.toBeUndefined();
    faults.configure({ route: '*', errorRate: 1 });
    await expect(faults.apply('graph.path')).rejects.toThrow('graph.path');
    expect(faults.configure({ route: '*', errorRate: 0, latencyMs: 0 })).toEqual({ 'graph.search': { errorRate: 0.6, latencyMs: 0 } });
  });

  it('adds latency that the operation signal can end', async () => {
    const faults = new FaultInjector({ FAULT_LATENCY_MS: '60000' });
    const controller = new AbortController();
    const pending = faults.apply('graph.search', controller.signal);
    controller.abort(new Error('deadline'));
    await expect(pending).rejects.toThrow();
  });

  it('refuses bad settings with INVALID_CONFIG naming the field or variable', () => {
    const faults = new FaultInjector({});
    expect(() => faults.configure({ route: 'graph.search', errorRate: 2 })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'faults.errorRate' }),
    );
    expect(() => faults.configure({ route: 'DROP TABLE', errorRate: 0.1 })).toThrow(expect.objectContaining({ path: 'faults.route' }));
    expect(() => new FaultInjector({ FAULT_ERROR_RATE: 'often' })).toThrow(expect.objectContaining({ path: 'env.FAULT_ERROR_RATE' }));
  });
});
