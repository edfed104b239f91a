import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createProductionSystem, type StandardProductionSystem } from '../../src/index.js';
import { eventually } from '../support/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'config-reload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const systems: StandardProductionSystem[] = [];
afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.shutdown()));
});

function file(lines: readonly string[], name = 'service.yaml'): string {
  const path = join(dir, name);
  // Written beside and renamed into place, as editors and config management do.
  writeFileSync(`${path}.tmp`, lines.join('\n') + '\n');
  renameSync(`${path}.tmp`, path);
  return path;
}

const limit = (capacity: number, extra: readonly string[] = []): string[] => [
  'operations:',
  '  search:',
  `    rateLimit: { algorithm: fixed_window, limit: ${capacity}, windowMs: 60000 }`,
  '  flaky:',
  '    retry: false',
  '    circuitBreaker: { failureThreshold: 2, recoveryTimeoutMs: 600000 }',
  ...extra,
];

function start(path: string, watch = false): StandardProductionSystem {
  const system = createProductionSystem(
    {},
    { shutdown: { exitProcess: false } },
    { env: {}, configFile: path, watchConfigFile: watch, startHealthChecks: false },
  );
  systems.push(system);
  return system;
}

async function admitted(system: StandardProductionSystem, calls: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < calls; i++) {
    try {
      await system.executeProtectedOperation('search', undefined, () => Promise.resolve());
      ok++;
    } catch (error) {
      expect(error).toMatchObject({ code: 'RATE_LIMITED' });
    }
  }
  return ok;
}

async function openBreaker(system: StandardProductionSystem): Promise<void> {
  for (let i = 0; i < 2; i++) {
    await expect(system.executeProtectedOperation('flaky', undefined, () => Promise.reject(new Error('down')))).rejects.toThrow('down');
  }
  expect(system.components.recovery.getCircuitBreakerStatus('flaky')).toBe('open');
}

describe('reloading the configuration file', () => {
  it('applies a new rate limit, keeps a breaker whose settings did not change, and shows the file, hash and time', async () => {
    const path = file(limit(2));
    const system = start(path);
    await openBreaker(system);
    expect(await admitted(system, 5)).toBe(2);
    const before = system.getSystemStatus().configFile!;
    expect(before).toMatchObject({ path, reloads: { applied: 0, rejected: 0 }, lastRejection: null });

    file(limit(10, ['monitoring:', '  logLevel: debug']));
    expect(system.reloadConfigFile()).toMatchObject({ outcome: 'applied' });
    // A new limit starts with a full allowance; the breaker is still open, its settings unchanged.
    expect(await admitted(system, 12)).toBe(10);
    expect(system.components.recovery.getCircuitBreakerStatus('flaky')).toBe('open');
    await expect(system.executeProtectedOperation('flaky', undefined, () => Promise.resolve())).rejects.toMatchObject({
      code: 'CIRCUIT_OPEN',
    });
    expect(system.config.monitoring.logLevel).toBe('debug');
    const after = system.getSystemStatus().configFile!;
    expect(after.hash).not.toBe(before.hash);
    expect(after.reloads).toEqual({ applied: 1, rejected: 0 });
    expect(Date.parse(after.appliedAt)).toBeGreaterThanOrEqual(Date.parse(before.appliedAt));
    // The same bytes again change nothing.
    expect(system.reloadConfigFile()).toMatchObject({ outcome: 'unchanged' });
  });

  it("keeps the code's configureOperation settings on top of the file's across a reload", async () => {
    const path = file(limit(2));
    const system = start(path);
    system.configureOperation('flaky', { timeoutMs: 1234 });
    file([...limit(2), '    timeoutMs: 99', 'defaults:', '  retry: { maxRetries: 7 }']);
    expect(system.reloadConfigFile().outcome).toBe('applied');
    expect(system.components.recovery.getOperationConfig('flaky')).toMatchObject({ timeoutMs: 1234, retry: false });
    expect(system.components.recovery.getOperationConfig('other')).toMatchObject({ retry: { maxRetries: 7 } });
  });

  it('rebuilds a breaker whose settings changed', async () => {
    const path = file(limit(2));
    const system = start(path);
    await openBreaker(system);
    file(limit(2).map((l) => l.replace('failureThreshold: 2', 'failureThreshold: 3')));
    expect(system.reloadConfigFile().outcome).toBe('applied');
    await system.executeProtectedOperation('flaky', undefined, () => Promise.resolve());
    expect(system.components.recovery.getCircuitBreakerStatus('flaky')).toBe('closed');
  });

  it('rejects an invalid file whole, logs it once, keeps the old limit, and names the field', async () => {
    const path = file(limit(3));
    const system = start(path);
    file(limit(50, ['monitoring:', '  logLevel: loud']));
    const result = system.reloadConfigFile();
    expect(result.outcome).toBe('rejected');
    expect(result).toMatchObject({ message: expect.stringMatching(/service\.yaml line 8: .*monitoring\.logLevel/) });
    expect(system.reloadConfigFile().outcome).toBe('rejected');
    expect(await admitted(system, 5)).toBe(3);
    const status = system.getSystemStatus().configFile!;
    expect(status.reloads).toEqual({ applied: 0, rejected: 1 });
    expect(status.lastRejection?.message).toMatch(/monitoring\.logLevel/);
    const logged = system.components.monitor.getRecentLogs({ level: 'warn' }).filter((l) => /reload rejected/.test(l.message));
    expect(logged).toHaveLength(1);
    expect(system.config.operations).toHaveProperty('search');
  });

  it('names the settings that cannot change at run time, and applies none of the file', async () => {
    const path = file(limit(3));
    const system = start(path);
    file(limit(50, ['admin:', '  port: 9999', 'rateLimiting:', '  store: { type: redis, url: "redis://127.0.0.1:1" }']));
    const result = system.reloadConfigFile();
    expect(result).toMatchObject({ outcome: 'rejected' });
    const message = result.outcome === 'rejected' ? result.message : '';
    expect(message).toMatch(/^rateLimiting\.store\.type, rateLimiting\.store\.url, .*admin\.port cannot change at run time/);
    expect(await admitted(system, 5)).toBe(3);
  });

  it('keeps the running configuration when the file is deleted, and takes it back when it returns', async () => {
    const path = file(limit(3), 'deleted.yaml');
    const system = start(path);
    unlinkSync(path);
    expect(system.reloadConfigFile()).toMatchObject({ outcome: 'rejected', message: expect.stringMatching(/cannot be read/) });
    expect(await admitted(system, 5)).toBe(3);
    file(limit(7), 'deleted.yaml');
    expect(system.reloadConfigFile().outcome).toBe('applied');
    expect(system.config.rateLimiting.perOperation.search).toMatchObject({ limit: 7 });
  });

  it('reloads by itself when the file changes (watched), and replaces alert rules by name', async () => {
    const rule = (threshold: number) => [
      'monitoring:',
      '  alertRules:',
      `    - { name: TooManyRequests, metric: production.operation.duration, threshold: ${threshold} }`,
    ];
    const path = file([...limit(3), ...rule(5)], 'watched.yaml');
    const system = start(path, true);
    expect(system.getSystemStatus().configFile?.watching).toBe(true);
    file([...limit(4), ...rule(9)], 'watched.yaml');
    await eventually(() => system.getSystemStatus().configFile!.reloads.applied === 1 || undefined, {
      timeoutMs: 10_000,
      what: 'the watcher to apply the change',
    });
    expect(system.components.monitor.getAlertRules().find((r) => r.name === 'TooManyRequests')?.threshold).toBe(9);
    file(limit(4), 'watched.yaml');
    await eventually(() => system.getSystemStatus().configFile!.reloads.applied === 2 || undefined, {
      timeoutMs: 10_000,
      what: 'the second change',
    });
    expect(system.components.monitor.getAlertRules().some((r) => r.name === 'TooManyRequests')).toBe(false);
  });
});
