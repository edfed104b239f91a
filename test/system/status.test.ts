import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { buildStatusDocument } from '../../src/http/status-data.js';
import { createProductionSystem, type StandardProductionSystem, type SystemStatus } from '../../src/index.js';

/** Every key path of a JSON value; maps keyed by names (operations, components, failure modes...) are entered, not listed. */
function keys(value: unknown, path: string, out: string[], namedMaps: ReadonlySet<string>): string[] {
  if (Array.isArray(value)) {
    for (const item of value) keys(item, `${path}[]`, out, namedMaps);
  } else if (typeof value === 'object' && value !== null) {
    const parent = path.split('.').at(-1) ?? '';
    for (const [key, child] of Object.entries(value)) {
      if (!namedMaps.has(parent)) out.push(key);
      keys(child, `${path}.${key}`, out, namedMaps);
    }
  }
  return out;
}

// Maps whose keys are names: operation and component names, failure modes, breaker states, alert labels.
const NAMED = new Set(['stats', 'operations', 'components', 'storeFailures', 'breakerStates', 'labels', 'annotations']);

describe('typed status contracts, one JSON naming convention', () => {
  let system: StandardProductionSystem<object>;
  afterAll(async () => {
    await system?.shutdown();
  });

  it('getSystemStatus has a declared type and camelCase keys all the way down', async () => {
    system = createProductionSystem(
      {},
      { shutdown: { exitProcess: false }, rateLimiting: { perUser: { algorithm: 'token_bucket', capacity: 1, refillPerSecond: 0.001 } } },
      { env: {} },
    );
    await system.executeProtectedOperation('graph.query', 'alice', async () => 1);
    await system.executeProtectedOperation('graph.query', 'alice', async () => 1).catch(() => undefined);
    await system.getHealthReport();
    const status: SystemStatus = system.getSystemStatus();
    expect(Object.keys(status).sort()).toEqual([
      'configFile',
      'errorRecovery',
      'health',
      'monitoring',
      'overload',
      'rateLimiting',
      'resources',
      'retryBudgets',
      'shutdown',
      'system',
    ]);
    expect(status.configFile).toBeNull();
    expect(status.system).toMatchObject({ shuttingDown: false, activeOperations: 0, errorRecoveryEnabled: true });
    expect(status.errorRecovery.stats['graph.query']).toMatchObject({ calls: 2, successes: 1, rejections: 1 });
    expect(status.rateLimiting.operations['graph.query']).toMatchObject({ user: { allowed: 1, rejected: 1 }, limited: false });
    expect(status.health.components.memory).toMatchObject({ totalChecks: 1, consecutiveFailures: 0 });
    expect(status.shutdown).toMatchObject({ phase: 'running', ready: true, acceptedRequests: 2 });
    const snake = keys(JSON.parse(JSON.stringify(status)), '', [], NAMED).filter((k) => k.includes('_'));
    expect(snake).toEqual([]);
  });

  it('the status document reads the same typed sources, and keeps to camelCase', () => {
    const doc = buildStatusDocument({ ...system.components, activeOperations: () => system.activeOperationCount() });
    expect(doc.shutdown.progress).toMatchObject({ phase: 'running', shuttingDown: false, activeRequests: 0 });
    expect(doc.operations[0]).toMatchObject({ name: 'graph.query', calls: 2 });
    const snake = keys(JSON.parse(JSON.stringify(doc)), '', [], NAMED).filter((k) => k.includes('_'));
    expect(snake).toEqual([]);
  });

  it('the monitor counts the operations the system has in flight (its source comes from the system, no forward reference)', async () => {
    let release!: () => void;
    const running = system.executeProtectedOperation('graph.slow', undefined, () => new Promise<void>((resolve) => (release = resolve)));
    expect(system.components.monitor.getSystemStats().activeOperations).toBe(1);
    release();
    await running;
    expect(system.components.monitor.getSystemStats().activeOperations).toBe(0);
  });

  it('startAdminServer (on the standard system, no longer in system.ts) can be tried again after a failed listen', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(system.startAdminServer({ port })).rejects.toMatchObject({ code: 'ADDRESS_IN_USE' });
      const address = await system.startAdminServer({ port: 0 });
      expect(address.port).toBeGreaterThan(0);
      await expect(system.startAdminServer({ port: 0 })).rejects.toThrow('already started');
      const res = await fetch(`http://127.0.0.1:${address.port}/status.json`);
      expect(((await res.json()) as { shutdown: { progress: { activeRequests: number } } }).shutdown.progress.activeRequests).toBe(0);
    } finally {
      taken.close();
    }
  });
});
