import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStatusDocument } from '../../src/http/status-data.js';
import { ErrorRecoveryManager } from '../../src/entries/recovery.js';
import { createProductionSystem, type StandardProductionSystem } from '../../src/index.js';
import { dependenciesConfigSchema } from '../../src/dependencies/config.js';
import { errorRecoveryConfigSchema } from '../../src/recovery/config.js';
import { startRedisServer } from '../limits/support/redis-server.js';
import { eventually, freePort, type ChildHandle } from '../support/helpers.js';

const recoveryDefaults = errorRecoveryConfigSchema.parse({});

describe('circuitBreaker.shared: configuration', () => {
  it('a shared breaker without the shared-state store is INVALID_CONFIG naming the field (dependency and defaults)', () => {
    expect(() => createProductionSystem({}, { dependencies: { inventory: { circuitBreaker: { shared: true } } } }, { env: {} })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'dependencies.inventory.circuitBreaker.shared' }),
    );
    expect(() => createProductionSystem({}, { errorRecovery: { defaults: { circuitBreaker: { shared: true } } } }, { env: {} })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'errorRecovery.defaults.circuitBreaker.shared' }),
    );
  });

  it('configureOperation with shared and no store is INVALID_CONFIG at operations.<name>.circuitBreaker.shared, and changes nothing', () => {
    const manager = new ErrorRecoveryManager(recoveryDefaults);
    expect(() => manager.configureCircuitBreaker('checkout', { shared: true })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'operations.checkout.circuitBreaker.shared' }),
    );
    expect(manager.getOperationConfig('checkout').circuitBreaker).toMatchObject({ shared: false });
  });

  it('a misspelt or out-of-range setting is INVALID_CONFIG naming it', () => {
    const manager = new ErrorRecoveryManager(recoveryDefaults);
    expect(() => manager.configureOperation('checkout', { circuitBreaker: { sharde: true } as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: expect.stringContaining('circuitBreaker') }),
    );
    expect(() => manager.configureCircuitBreaker('checkout', { publishIntervalMs: 5 })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'operations.checkout.circuitBreaker.publishIntervalMs' }),
    );
  });

  it("a dependency's breaker replaces the breaker of every operation that names it", async () => {
    const manager = new ErrorRecoveryManager(recoveryDefaults, {
      dependencies: dependenciesConfigSchema.parse({ inventory: { circuitBreaker: { failureThreshold: 2, recoveryTimeoutMs: 60_000 } } }),
    });
    manager.configureOperation('stock', { dependency: 'inventory', retry: false });
    const fail = () => Promise.reject(new Error('down'));
    for (let i = 0; i < 2; i++) await manager.executeWithRecovery('stock', fail).catch(() => undefined);
    expect(manager.getCircuitBreakerStatus('stock')).toBe('open');
    // An operation of its own keeps its own breaker (default threshold 5).
    manager.configureOperation('other', { retry: false });
    for (let i = 0; i < 2; i++) await manager.executeWithRecovery('other', fail).catch(() => undefined);
    expect(manager.getCircuitBreakerStatus('other')).toBe('closed');
    manager.shutdown();
  });
});

describe('circuitBreaker.shared: status and metrics (real redis-server)', () => {
  let server: ChildHandle;
  let system: StandardProductionSystem<object>;
  beforeAll(async () => {
    const port = await freePort();
    server = await startRedisServer(port);
    system = createProductionSystem(
      {},
      {
        shutdown: { exitProcess: false },
        rateLimiting: { store: { type: 'redis', url: `redis://127.0.0.1:${port}`, timeoutMs: 1000 } },
        errorRecovery: { defaults: { retry: false } },
        dependencies: { inventory: { circuitBreaker: { shared: true, publishIntervalMs: 50 } } },
      },
      { env: {} },
    );
    await system.components.limits.connect();
    system.configureOperation('stock', { dependency: 'inventory' });
    system.configureOperation('checkout', { circuitBreaker: { shared: true, publishIntervalMs: 50 } });
  }, 30_000);
  afterAll(async () => {
    await system?.shutdown();
    await server?.stop();
  });

  it('getSystemStatus, the status page and /metrics show the shared state, replicas and lease holder', async () => {
    await system.executeProtectedOperation('stock', 'u', async () => 1);
    await system.executeProtectedOperation('checkout', 'u', async () => 1);
    await eventually(
      () => system.getSystemStatus().errorRecovery.sharedCircuitBreakers.every((s) => s.mode === 'shared' && s.replicas === 1),
      {
        what: 'both shared breakers on the store',
        timeoutMs: 10_000,
      },
    );
    const shared = system.getSystemStatus().errorRecovery.sharedCircuitBreakers;
    expect(shared.map((s) => [s.operation, s.key]).sort()).toEqual([
      ['checkout', 'op:checkout'],
      ['stock', 'dep:inventory'],
    ]);
    expect(shared[0]).toMatchObject({ sharedState: 'closed', localState: 'closed', leaseHolder: null, holdsLease: false, lastError: null });
    const document = buildStatusDocument(system.components);
    const row = document.operations.find((o) => o.name === 'stock')!;
    expect(row.breaker?.shared).toEqual({ mode: 'shared', sharedState: 'closed', replicas: 1, leaseHolder: null, holdsLease: false });
    const metrics = await system.getPrometheusMetrics();
    expect(metrics).toMatch(/production_circuit_breaker_shared_state\{[^}]*production_operation_name="stock"[^}]*state="closed"[^}]*\} 1/);
    expect(metrics).toMatch(/production_circuit_breaker_shared_connected\{[^}]*"checkout"[^}]*\} 1/);
    expect(metrics).toMatch(/production_circuit_breaker_shared_replicas\{[^}]*\} 1/);
    expect(metrics).toMatch(/production_circuit_breaker_shared_lease_held\{[^}]*\} 0/);
    expect(metrics).toMatch(/production_circuit_breaker_shared_publishes_total\{[^}]*outcome="ok"[^}]*\} [1-9]/);
  });
});
