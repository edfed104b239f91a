import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { telemetryHub } from '../../src/monitoring/hub.js';
import { leaseSystemStats } from '../../src/monitoring/system-stats.js';
import { AlertSchedule } from '../../src/sdk/alert-schedule.js';
import { internalErrorCounts, reportInternalError, INTERNAL_ERROR_LOG_INTERVAL_MS } from '../../src/telemetry/internal-errors.js';
import { DIST_ESM, eventually, requireBuild, runModuleScript, spawnProcess } from '../support/helpers.js';
import { installEmbedded } from './helpers.js';

// Regression (issue 11, finding 2): with the file table full, process.memoryUsage.rss() threw EMFILE inside
// the resource sampler's timer; nothing caught it and the process exited. Every callback the library
// schedules now catches, counts in production.internal.errors and goes on.

let env: ReturnType<typeof installEmbedded>;
beforeAll(() => {
  env = installEmbedded();
});
afterAll(async () => {
  await env.telemetry.shutdown();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

const EMFILE_SCRIPT = `
import { createProductionSystem } from '@llmkg/production';
const system = createProductionSystem({}, { resourceLimits: { sampleIntervalMs: 50 }, monitoring: { defaultAlertRules: false } }, { env: {} });
const rss = process.memoryUsage.rss;
// What a full file table does to the sampler: uv_resident_set_memory opens /proc/self/stat.
process.memoryUsage.rss = () => {
  throw Object.assign(new Error('EMFILE: too many open files, uv_resident_set_memory'), { code: 'EMFILE', syscall: 'uv_resident_set_memory' });
};
// Until the sampler (every 50 ms) has met the error five times; the test's timeout bounds the wait.
let text = '';
while (Number(/^production_internal_errors_total\\{[^}]*resource_sampler[^}]*\\} (\\d+)/m.exec(text)?.[1] ?? 0) < 5) {
  await new Promise((r) => setTimeout(r, 50));
  text = await system.getPrometheusMetrics();
}
process.memoryUsage.rss = rss;
console.log(text.split('\\n').filter((l) => l.startsWith('production_internal_errors_total')).join('\\n'));
const report = await system.shutdown();
console.log('SHUTDOWN', report.forced);
`;

const FULL_TABLE_SCRIPT = `
import { createProductionSystem } from ${JSON.stringify(DIST_ESM)};
const system = createProductionSystem({}, { resourceLimits: { sampleIntervalMs: 100 }, monitoring: { defaultAlertRules: false } }, { env: {}, startHealthChecks: false });
const { port } = await system.startAdminServer({ port: 0 });
console.log('PORT', port);
// Says once when the sampler's EMFILE has been counted (reading our own metrics needs no file descriptor).
let told = false;
setInterval(async () => {
  const text = await system.getPrometheusMetrics();
  if (!told && /^production_internal_errors_total\\{[^}]*resource_sampler[^}]*\\} [1-9]/m.test(text)) {
    told = true;
    console.log('SAMPLER_FAILED');
  }
}, 100);
`;

describe("errors in the library's own scheduled callbacks", () => {
  it("the issue's case: idle connections fill the file table (ulimit -n 200), the process stays up and counts the sampler's EMFILE", async () => {
    requireBuild('dist/esm/index.js');
    const child = spawnProcess(
      'bash',
      ['-c', 'ulimit -n 200 && exec "$0" --input-type=module -e "$1"', process.execPath, FULL_TABLE_SCRIPT],
      { env: { PATH: process.env.PATH } },
    );
    try {
      const port = Number((await child.waitForLine(/^PORT \d+$/)).split(' ')[1]);
      const sockets: Socket[] = Array.from({ length: 300 }, () => connect({ port, host: '127.0.0.1' }).on('error', () => undefined));
      // With the table full, the sampler (every 100 ms) meets EMFILE and counts it.
      await child.waitForLine(/^SAMPLER_FAILED$/);
      for (const s of sockets) s.destroy();
      expect(child.running(), child.output()).toBe(true);
      const text = await eventually(async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), {
        what: 'a scrape once the table has room',
        details: child.output,
      });
      const line = text.split('\n').find((l) => l.startsWith('production_internal_errors_total') && l.includes('resource_sampler'));
      expect(line, text).toBeDefined();
      expect(Number(line!.split(' ').at(-1))).toBeGreaterThan(0);
    } finally {
      await child.stop('SIGKILL');
    }
  });

  it('a resource sampler that throws EMFILE (child process): the process stays up and production.internal.errors counts it', async () => {
    const result = await runModuleScript(EMFILE_SCRIPT, { env: { PATH: process.env.PATH } });
    expect(result.code, result.stderr).toBe(0);
    const line = result.stdout.split('\n').find((l) => l.includes('production_component="resource_sampler"'));
    expect(line, result.stdout).toBeDefined();
    expect(Number(line!.trim().split(' ').at(-1))).toBeGreaterThanOrEqual(5);
    expect(result.stdout).toContain('SHUTDOWN false');
  });

  it('logs one record per component per interval, then one summary with the count of the others', () => {
    vi.useFakeTimers();
    env.logs.reset();
    for (let i = 0; i < 50; i++) reportInternalError('probe_test', new Error(`boom ${i}`));
    const bodies = () =>
      env.logs
        .getFinishedLogRecords()
        .filter((r) => r.attributes['production.component'] === 'probe_test')
        .map((r) => r.body as string);
    expect(bodies()).toEqual(['Internal error in probe_test (caught, the work goes on): Error: boom 0']);
    vi.advanceTimersByTime(INTERNAL_ERROR_LOG_INTERVAL_MS);
    expect(bodies()).toHaveLength(2);
    expect(bodies()[1]).toContain('49 more like this');
    const summary = env.logs.getFinishedLogRecords().at(-1)!;
    expect(summary.attributes['production.log.suppressed']).toBe(49);
    expect(internalErrorCounts().probe_test).toBe(50);
  });
  it('the system-stats sampler and alert evaluation count their errors and keep their timers', async () => {
    vi.useFakeTimers();
    const before = internalErrorCounts();
    const stats = leaseSystemStats(1000, undefined);
    vi.spyOn(process, 'cpuUsage').mockImplementation(() => {
      throw new Error('cpuUsage failed');
    });
    vi.advanceTimersByTime(3000);
    stats.guard.release();
    expect((internalErrorCounts().system_stats ?? 0) - (before.system_stats ?? 0)).toBe(3);
    vi.restoreAllMocks();

    const subscription = telemetryHub.subscribe({
      intervalMs: 1000,
      onSnapshot: () => {
        throw new Error('rule evaluation failed');
      },
    });
    const schedule = new AlertSchedule(async () => ({ timestamp: 0, metrics: [] }), undefined);
    try {
      await schedule.tick();
      await schedule.tick();
    } finally {
      subscription.release();
      schedule.stop();
    }
    expect((internalErrorCounts().alert_evaluation ?? 0) - (before.alert_evaluation ?? 0)).toBe(2);
    expect(schedule.stats().subscriberErrors).toBe(2);
  });
});
