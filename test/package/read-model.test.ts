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
/** One read model per component, each in a file of types only. */
const COMPONENT_SNAPSHOTS = [
  'health/snapshot.ts',
  'shutdown/snapshot.ts',
  'recovery/snapshot.ts',
  'limits/snapshot.ts',
  'monitoring/snapshot.ts',
  'overload/snapshot.ts',
];
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
    expect(snapshots).toEqual(expect.arrayContaining(COMPONENT_SNAPSHOTS));
    for (const file of [...COMPONENT_SNAPSHOTS, 'http/status-types.ts']) {
      const text = readFileSync(join(root, 'src', file), 'utf8');
      const imports = [...text.matchAll(/^import (type )?.* from '([^']+)';$/gm)];
      for (const [line, typeOnly, from] of imports) {
        expect(typeOnly, `${file}: ${line}`).toBe('type ');
        const target = join(root, 'src', file, '..', from!.replace(/\.js$/, '.ts'));
        const imported = readFileSync(target, 'utf8');
        if (!/snapshot\.ts$/.test(target)) expect(imported, `${target} imports nothing`).not.toMatch(/^import /m);
      }
      expect(text, file).not.toMatch(/^export (function|class|const|let|enum|default|\{|\*)/m);
      if (file !== 'http/status-types.ts') expect(text, file).not.toMatch(/^export (?!interface |type )/m);
    }
  });

  it('types getSystemStatus() and /status.json with the snapshot files, and keeps no *Row that copies a snapshot', () => {
    const snapshotTypes = new Map<string, Set<string>>();
    for (const file of COMPONENT_SNAPSHOTS) {
      const text = readFileSync(join(root, 'src', file), 'utf8');
      const names = [...text.matchAll(/^export (?:interface|type) (\w+)/gm)].map((m) => m[1]!);
      snapshotTypes.set(file, new Set(names));
    }
    // Every read-side type SystemStatus and the status document name comes from a snapshot file.
    for (const file of ['system.ts', 'http/status-types.ts', 'http/status-data.ts']) {
      const text = readFileSync(join(root, 'src', file), 'utf8');
      for (const name of READ_MODEL_TYPES) {
        const from = new RegExp(`^import type \\{[^}]*\\b${name}\\b[^}]*\\} from '([^']+)';$`, 'm').exec(text)?.[1];
        if (from === undefined) continue;
        expect(from, `${file} imports ${name} from a snapshot file`).toMatch(/snapshot\.js$/);
      }
    }
    const system = readFileSync(join(root, 'src/system.ts'), 'utf8');
    const status = system.slice(system.indexOf('export interface SystemStatus'), system.indexOf('/** Options of {@link ProductionSystem}'));
    for (const name of [
      'RecoveryHealth',
      'OwnedRetryBudgetStatus',
      'RateLimitStats',
      'ResourceUsageReport',
      'HealthStatusSnapshot',
      'ShutdownProgressSnapshot',
      'OverloadStatus',
    ])
      expect(status, `SystemStatus uses ${name}`).toContain(name);

    // The document: snapshots where the component's view fits, the rows that remain each say why.
    const types = readFileSync(join(root, 'src/http/status-types.ts'), 'utf8');
    expect(types).toMatch(/retryBudgets: OwnedRetryBudgetStatus\[\]/);
    expect(types).toMatch(/overload: OverloadStatus \| null/);
    expect(types).toMatch(/progress: ShutdownProgressSnapshot/);
    expect(types).toMatch(/export type StatusComponent = ComponentStatusSnapshot & /);
    expect(types).toMatch(/export interface OperationRow extends OperationStatsSnapshot /);
    const snapshotFields = new Map<string, Set<string>>();
    for (const file of COMPONENT_SNAPSHOTS) {
      const text = readFileSync(join(root, 'src', file), 'utf8');
      for (const m of text.matchAll(/^export interface (\w+)[^{]*\{\n([\s\S]*?)^\}$/gm)) snapshotFields.set(m[1]!, fieldsOf(m[2]!));
    }
    const rows: string[] = [];
    for (const m of types.matchAll(/(^\/\/ .*\n)?(?:^\/\*\*.*\*\/\n)?^export interface (\w+Row)\b[^{]*\{\n([\s\S]*?)^\}$/gm)) {
      const [, why, row, body] = m;
      rows.push(row!);
      expect(why, `${row} says in a line comment why it is a row`).toMatch(/^\/\/ A row because /);
      const fields = fieldsOf(body!);
      for (const [snapshot, own] of snapshotFields) {
        const shared = [...fields].filter((f) => own.has(f));
        // A row may share a name or two with a snapshot (`name`, `state`), never most of a snapshot's fields.
        expect(shared.length < Math.max(3, own.size / 2), `${row} copies ${snapshot}: ${shared.join(', ')}`).toBe(true);
      }
    }
    expect(rows.sort()).toEqual(['AlertRow', 'LogRow', 'OperationRow', 'ResourceRow', 'TraceRow']);
    for (const gone of ['RetryBudgetRow', 'OverloadView', 'AdaptiveLimitRow', 'ThrottleRow', 'ClassCounts', 'SharedBreakerRow'])
      expect(types, gone).not.toContain(gone);
  });

  it('/status.json holds retry budgets and overload as the components return them', async () => {
    system = createProductionSystem(
      {},
      { shutdown: { exitProcess: false } },
      { env: { PRODUCTION_OVERLOAD: 'on' }, startHealthChecks: false },
    );
    await system.ready;
    system.configureDependency('payments', { retryBudget: { ratio: 0.5 } });
    system.configureOperation('charge', { dependency: 'payments' });
    await system.executeProtectedOperation('charge', undefined, () => Promise.resolve(1));
    const doc = buildStatusDocument({ ...system.components, overload: system.components.overload });
    expect(doc.retryBudgets).toEqual(system.components.recovery.retryBudgets());
    expect(doc.retryBudgets.map((b) => b.dependency)).toContain('payments');
    expect(doc.overload).toEqual(system.components.overload.getOverloadStatus());
    const [operation] = doc.operations;
    const { name, errorRate, breaker, ...stats } = operation!;
    expect(name).toBe('charge');
    expect(stats).toEqual(system.components.recovery.healthCheck().stats.charge);
    expect({ errorRate, breaker: breaker?.state }).toEqual({ errorRate: 0, breaker: 'closed' });
  });
});

/** The read-model type names `getSystemStatus()` and the status document use. */
const READ_MODEL_TYPES = [
  'RecoveryHealth',
  'BreakerStatus',
  'OwnedRetryBudgetStatus',
  'OperationStatsSnapshot',
  'SharedBreakerStatus',
  'RateLimitStats',
  'ResourceUsageReport',
  'MonitorHealth',
  'OverloadStatus',
  'HealthStatusSnapshot',
  'ComponentStatusSnapshot',
  'ShutdownProgressSnapshot',
];

/** Field names declared in an interface body (its top level only). */
function fieldsOf(body: string): Set<string> {
  return new Set([...body.matchAll(/^ {2}(?:readonly )?(\w+)\??:/gm)].map((m) => m[1]!));
}
