import { describe, expect, it } from 'vitest';
import { requireBuild, spawnProcess } from '../support/helpers.js';
import { childEnv } from '../instrumentation/helpers.js';

// Issue 21, finding 5: `npm run demo` refused a third of its "steady" load (each steady user sent about
// 60 requests/s against a 30/s per-user limit), counted alerts ever fired as "firing", did not say where to
// watch /status, and printed a checkpoint folder it deleted right after.

interface Tracker {
  update(text: string): void;
  readonly now: Set<string>;
  readonly resolved: string[];
  describe(): string;
}
const { AlertTracker } = (await import(new URL('../../examples/knowledge-graph/demo-alerts.mjs', import.meta.url).href)) as {
  AlertTracker: new () => Tracker;
};

const firing = (name: string, op: string) =>
  `production_alerts{alertname="${name}",alertstate="firing",production_operation_name="${op}",severity="critical"} 1`;

describe('npm run demo', () => {
  it('steady users are never rate limited, the greedy one is; it names the status page and no deleted folder', async () => {
    requireBuild();
    const demo = spawnProcess(process.execPath, ['examples/knowledge-graph/demo.mjs'], { env: childEnv({ DEMO_SECONDS: '5' }) });
    const { code } = await demo.exited;
    const out = demo.stdout();
    expect(code, `${out}\n${demo.stderr()}`).toBe(0);
    expect(out).toMatch(/Watch http:\/\/127\.0\.0\.1:\d+\/status while the demo runs/);
    const steady = /steady users\s+(\d+) calls, (\d+) rate limited/.exec(out);
    const greedy = /greedy user\s+(\d+) calls, (\d+) rate limited/.exec(out);
    expect(steady, out).not.toBeNull();
    expect(Number(steady![1])).toBeGreaterThan(0);
    expect(Number(steady![2])).toBe(0);
    expect(Number(greedy![2])).toBeGreaterThan(0);
    expect(out).toMatch(/alerts\s+firing now: .*; resolved: /);
    expect(out).not.toMatch(/kg-demo-/);
    expect(out).toContain('shutdown          exit code 0');
  }, 90_000);

  it('tells alerts firing now from alerts that fired and resolved', () => {
    const alerts = new AlertTracker();
    alerts.update([firing('ProductionHighErrorRate', 'graph.path'), firing('ProductionCircuitOpen', 'graph.path')].join('\n'));
    expect([...alerts.now]).toEqual(['ProductionHighErrorRate (graph.path)', 'ProductionCircuitOpen (graph.path)']);
    expect(alerts.resolved).toEqual([]);
    // The breaker closed: its alert's series is gone; a pending alert is not firing.
    alerts.update(
      [
        firing('ProductionHighErrorRate', 'graph.path'),
        'production_alerts{alertname="ProductionHighLatency",alertstate="pending",production_operation_name="graph.search"} 1',
      ].join('\n'),
    );
    expect(alerts.describe()).toBe('firing now: ProductionHighErrorRate (graph.path); resolved: ProductionCircuitOpen (graph.path)');
    alerts.update('');
    expect(alerts.describe()).toBe('firing now: none; resolved: ProductionHighErrorRate (graph.path), ProductionCircuitOpen (graph.path)');
  });
});
