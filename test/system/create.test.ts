import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CircuitOpenError, ShuttingDownError, createProductionSystem, type StandardProductionSystem } from '../../src/index.js';
import { freePort } from '../support/helpers.js';

// No SDK is registered in this file: createProductionSystem sets up the embedded providers and readers.
describe('createProductionSystem on embedded defaults', () => {
  const checkpointDir = mkdtempSync(join(tmpdir(), 'production-ckpt-'));
  const engine = { healthCheck: async () => ({ healthy: true }), stats: () => ({ entities: 3 }) };
  let system: StandardProductionSystem<typeof engine>;

  afterAll(async () => {
    await system?.shutdown();
  });

  it('runs a protected operation with every component real', async () => {
    system = createProductionSystem(
      engine,
      { shutdown: { checkpointDir, exitProcess: false }, errorRecovery: { defaults: { retry: { baseDelayMs: 1 } } } },
      { env: {} },
    );
    await system.ready;
    await expect(
      system.executeProtectedOperation('graph.neighbours', 'alice', async (ctx) => `${ctx.userId}:${ctx.attempt}`),
    ).resolves.toBe('alice:1');
    const status = system.getSystemStatus();
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
    expect(() => JSON.stringify(status)).not.toThrow();
  });

  it("exports Prometheus text with the conventions' names", async () => {
    const text = await system.getPrometheusMetrics();
    expect(text).toContain('# TYPE production_operation_duration histogram');
    expect(text).toMatch(/production_operation_duration_bucket\{[^}]*production_operation_name="graph.neighbours"/);
    expect(text).not.toContain('alice');
  });

  it('serves the admin endpoints', async () => {
    const port = await freePort();
    const { host } = await system.startAdminServer({ port });
    const metrics = await fetch(`http://${host}:${port}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('production_operation_duration_bucket');
    const live = await fetch(`http://${host}:${port}/livez`);
    expect(live.status).toBe(200);
    const report = await system.getHealthReport();
    expect(report.components.engine?.status).toBe('healthy');
  });

  it('checkpoints an open breaker at shutdown and a new system restores it', async () => {
    system.configureOperation('flaky.dependency', { retry: false, circuitBreaker: { failureThreshold: 1, recoveryTimeoutMs: 60_000 } });
    await system
      .executeProtectedOperation('flaky.dependency', 'bob', async () => {
        throw new Error('down');
      })
      .catch(() => undefined);
    expect(system.components.recovery.getCircuitBreakerStatus('flaky.dependency')).toBe('open');
    const report = await system.shutdown();
    expect(report.forced).toBe(false);
    await expect(system.executeProtectedOperation('graph.neighbours', 'alice', async () => 1)).rejects.toBeInstanceOf(ShuttingDownError);

    system = createProductionSystem(engine, { shutdown: { checkpointDir, exitProcess: false } }, { env: {} });
    await system.ready;
    system.configureOperation('flaky.dependency', { retry: false, circuitBreaker: { failureThreshold: 1, recoveryTimeoutMs: 60_000 } });
    await expect(system.executeProtectedOperation('flaky.dependency', 'bob', async () => 'fine')).rejects.toBeInstanceOf(CircuitOpenError);
  });
});
