import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildStatusDocument } from '../../src/entries/http.js';
import { HEALTH_STATUSES } from '../../src/health/status.js';
import { createProductionSystem, type StandardProductionSystem } from '../../src/index.js';

// Issue 26, "one read model": one snapshot type per component, in a file that imports nothing but the
// component's vocabulary; the status document holds those snapshots instead of copies, and every component speaks
// one health vocabulary.

const root = process.cwd();
let system: StandardProductionSystem | undefined;
afterEach(async () => {
  await system?.shutdown();
  system = undefined;
});

describe('the read model', () => {
  it('every component reports its health in one vocabulary: an open breaker is `warning`, not `degraded`', async () => {
    system = createProductionSystem({}, { shutdown: { exitProcess: false } }, { env: {}, startHealthChecks: false });
    await system.ready;
    expect(system.components.recovery.healthCheck().status).toBe('healthy');
    system.configureOperation('flaky', { retry: false, circuitBreaker: { failureThreshold: 1, recoveryTimeoutMs: 60_000 } });
    await system.executeProtectedOperation('flaky', undefined, () => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(system.components.recovery.getCircuitBreakerStatus('flaky')).toBe('open');
    const statuses = {
      recovery: system.components.recovery.healthCheck().status,
      limits: system.components.limits.healthCheck().status,
      monitor: system.components.monitor.healthCheck().status,
      health: system.components.health.getHealthStatus().status,
    };
    expect(statuses.recovery).toBe('warning');
    for (const [component, status] of Object.entries(statuses)) expect(HEALTH_STATUSES, component).toContain(status);
  });

  it('/status.json holds the shutdown and health snapshots as the components return them, not field-by-field copies', async () => {
    system = createProductionSystem({}, { shutdown: { exitProcess: false } }, { env: {}, startHealthChecks: false });
    await system.ready;
    await system.getHealthReport();
    const doc = buildStatusDocument(system.components);
    expect(doc.shutdown.progress).toEqual(system.components.shutdown.getShutdownProgress());
    const snapshot = system.components.health.getHealthStatus();
    expect(doc.health.components.length).toBeGreaterThan(0);
    for (const component of doc.health.components) {
      const { name, ...rest } = component;
      expect(rest, name).toEqual(snapshot.components[name]);
    }
  });

  it('keeps each snapshot file free of code: type-only imports of vocabulary files that import nothing', () => {
    const snapshots = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('snapshot.ts'));
    expect(snapshots).toEqual(expect.arrayContaining(['health/snapshot.ts', 'shutdown/snapshot.ts']));
    for (const file of ['health/snapshot.ts', 'shutdown/snapshot.ts', 'http/status-types.ts']) {
      const text = readFileSync(join(root, 'src', file), 'utf8');
      const imports = [...text.matchAll(/^import (type )?.* from '([^']+)';$/gm)];
      for (const [line, typeOnly, from] of imports) {
        expect(typeOnly, `${file}: ${line}`).toBe('type ');
        const target = join(root, 'src', file, '..', from!.replace(/\.js$/, '.ts'));
        const imported = readFileSync(target, 'utf8');
        if (!/snapshot\.ts$/.test(target)) expect(imported, `${target} imports nothing`).not.toMatch(/^import /m);
      }
      expect(text, file).not.toMatch(/^export (function|class|const) /m);
    }
  });
});
