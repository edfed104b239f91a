import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, requireBuild } from '../support/helpers.js';
import { startService, type Service } from '../instrumentation/helpers.js';

requireBuild('dist/cjs/register/index.js', 'dist/esm/register/index.js');
const dir = mkdtempSync(join(tmpdir(), 'preload-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The service's file: overload control for all calls, a dependency with a retry budget, a per-operation limit, an alert rule. */
function config(entityLimit: number, extra = ''): string {
  return `# yaml-language-server: $schema=../../dist/config.schema.json
overload:
  concurrency: { initialLimit: 50, maxLimit: 500 }
dependencies:
  kg-store:
    retryBudget: { ratio: 0.2, minRetriesPerSecond: 1 }
operations:
  graph.entity.get:
    dependency: kg-store
    rateLimit: { algorithm: fixed_window, limit: ${entityLimit}, windowMs: 600000 }
  graph.path:
    retry: false
    circuitBreaker: { failureThreshold: 2, recoveryTimeoutMs: 600000 }
monitoring:
  alertEvaluationIntervalMs: 200
  alertRules:
    - name: EntityLookups
      metric: production.operation.duration
      match: { production.operation.name: graph.entity.get }
      threshold: 0
${extra}`;
}

function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

interface StatusJson {
  configFile: { path: string; hash: string; appliedAt: string; reloads: { applied: number; rejected: number } } | null;
  overload: { limits: { operation: string }[] } | null;
  retryBudgets: { dependency: string }[];
  alerts: { active: { name: string; state: string }[] };
  operations: { name: string; breaker: { state: string } | null }[];
}

async function status(service: Service): Promise<StatusJson> {
  return (await (await fetch(`${service.adminUrl}/status.json`)).json()) as StatusJson;
}

async function entityStatuses(service: Service, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await fetch(`${service.url}/entities/ada`)).status);
  return out;
}

describe.each(['require', 'import'] as const)('the preload (--%s) with PRODUCTION_CONFIG_FILE', (form) => {
  it('applies every section of the file, visibly in the status and in behaviour', async () => {
    const path = join(dir, `${form}.yaml`);
    writeFileSync(path, config(3));
    const service = await startService(form, { PRODUCTION_CONFIG_FILE: path, FAULT_ERROR_RATE: '0' });
    try {
      const codes = await entityStatuses(service, 5);
      expect(codes.slice(0, 3).every((c) => c !== 429)).toBe(true);
      expect(codes.slice(3)).toEqual([429, 429]);
      const doc = await eventually(
        async () => {
          const s = await status(service);
          return s.alerts.active.some((a) => a.name === 'EntityLookups') && s;
        },
        { timeoutMs: 15_000, what: 'the file alert rule to fire' },
      );
      expect(doc.configFile).toMatchObject({ path, reloads: { applied: 0, rejected: 0 } });
      expect(doc.configFile!.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(doc.overload?.limits.map((l) => l.operation)).toContain('*');
      expect(doc.retryBudgets.map((b) => b.dependency)).toContain('kg-store');
    } finally {
      await service.stop();
    }
  });
});

describe('reloading the file under the preload, under steady load', () => {
  it('changes the limit within a second, fails no request, keeps an unchanged breaker, rejects a bad file and survives deletion', async () => {
    const path = join(dir, 'reload.yaml');
    writeFileSync(path, config(2));
    const service = await startService('require', { PRODUCTION_CONFIG_FILE: path, FAULT_ERROR_RATE: '0' });
    try {
      // Open graph.path's breaker (two failures), then clear the fault: it stays open for ten minutes.
      await fetch(`${service.url}/admin/faults`, { method: 'POST', body: JSON.stringify({ route: 'graph.path', errorRate: 1 }) });
      for (let i = 0; i < 2; i++) await fetch(`${service.url}/path?from=a&to=b`);
      await fetch(`${service.url}/admin/faults`, { method: 'POST', body: JSON.stringify({ route: 'graph.path', errorRate: 0 }) });
      const breaker = async () => (await status(service)).operations.find((o) => o.name === 'graph.path')?.breaker?.state;
      expect(await breaker()).toBe('open');
      expect(await entityStatuses(service, 3)).toContain(429);

      // Steady load on an unlimited route through every reload below; each reply must be a 2xx.
      let stop = false;
      const failures: string[] = [];
      let served = 0;
      const load = Promise.all(
        Array.from({ length: 4 }, async () => {
          while (!stop) {
            const res = await fetch(`${service.url}/stats`).catch((e: unknown) => ({ ok: false, status: String(e) }));
            if (res.ok) served++;
            else failures.push(String(res.status));
          }
        }),
      );
      try {
        const writtenAt = Date.now();
        writeAtomically(path, config(1000));
        const applied = await eventually(
          async () => (await status(service)).configFile?.reloads.applied === 1 && (await status(service)).configFile!,
          {
            timeoutMs: 10_000,
            what: 'the reload to apply',
          },
        );
        expect(Date.parse(applied.appliedAt) - writtenAt).toBeLessThan(1000);
        expect(await entityStatuses(service, 5)).not.toContain(429);
        expect(await breaker()).toBe('open');

        writeAtomically(path, config(2, 'admin:\n  port: 1\n'));
        await eventually(async () => (await status(service)).configFile?.reloads.rejected === 1, {
          timeoutMs: 10_000,
          what: 'the rejection',
        });
        writeAtomically(path, config(2, 'monitoring: oops\n'));
        await eventually(async () => (await status(service)).configFile?.reloads.rejected === 2, {
          timeoutMs: 10_000,
          what: 'the second rejection',
        });
        expect((await status(service)).configFile?.hash).toBe(applied.hash);
        expect(await entityStatuses(service, 5)).not.toContain(429);

        unlinkSync(path);
        await eventually(async () => (await status(service)).configFile?.reloads.rejected === 3, {
          timeoutMs: 10_000,
          what: 'the deletion to be seen',
        });
        expect(await entityStatuses(service, 5)).not.toContain(429);
        const metrics = await (await fetch(`${service.adminUrl}/metrics`)).text();
        expect(metrics).toMatch(/production_config_reloads_total\{[^}]*outcome="applied"[^}]*\} 1/);
        expect(metrics).toMatch(/production_config_reloads_total\{[^}]*outcome="rejected"[^}]*\} 3/);
        expect(service.output()).toMatch(/admin\.port cannot change at run time/);
      } finally {
        stop = true;
        await load;
      }
      expect(failures).toEqual([]);
      expect(served).toBeGreaterThan(0);
    } finally {
      await service.stop();
    }
  });

  it('stops the start with the file, field and line of an invalid file', async () => {
    const path = join(dir, 'invalid.yaml');
    writeFileSync(path, 'operations:\n  graph.search:\n    timeoutMs: soon\n');
    await expect(startService('require', { PRODUCTION_CONFIG_FILE: path })).rejects.toThrow(
      /start-up stopped: .*invalid\.yaml line 3: Invalid config at operations\.graph\.search\.timeoutMs/,
    );
  });
});
