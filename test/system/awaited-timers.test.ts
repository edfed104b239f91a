import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runModuleScript } from '../support/helpers.js';

// Regression (issue 11, finding 5): `await system.getHealthReport()` while a check hung, in a script where
// nothing else kept the event loop alive, exited with code 13 before the report arrived: the check's
// timeout timer was unref()ed. A timer a caller awaits must keep the process alive while it is awaited;
// background timers must not. One child process per kind of wait, each with nothing else to keep it alive:
// the wait must end as the API promises (a result or a typed error) and the process then exit 0 by itself.

const PREAMBLE = `
import { createProductionSystem } from '@llmkg/production';
const quiet = { env: {}, startHealthChecks: false };
const hang = () => new Promise(() => {});
`;

const CASES: Array<{ wait: string; script: string; expected: string }> = [
  {
    wait: 'health report with a hung check (system.getHealthReport)',
    script: `
      const system = createProductionSystem({ healthCheck: hang }, { healthChecks: { defaults: { timeoutMs: 300 } } }, { env: {} });
      const report = await system.getHealthReport();
      console.log('RESULT', report.components.engine.status, report.components.engine.lastError);`,
    expected: 'RESULT warning health.check engine timed out after 300 ms',
  },
  {
    wait: 'health check of one component (checkComponentHealth)',
    script: `
      const system = createProductionSystem({}, {}, quiet);
      system.components.health.registerComponent('hung', hang, { timeoutMs: 300 });
      const snapshot = await system.components.health.checkComponentHealth('hung');
      console.log('RESULT', snapshot.status);`,
    expected: 'RESULT warning',
  },
  {
    wait: 'operation permit wait (permitTimeoutMs)',
    script: `
      const system = createProductionSystem({}, { errorRecovery: { defaults: { timeoutMs: 0 } }, resourceLimits: { maxActiveOperations: 1, permitTimeoutMs: 300 } }, quiet);
      void system.executeProtectedOperation('holder', undefined, hang);
      const code = await system.executeProtectedOperation('waiter', undefined, async () => 'ran').catch((e) => e.code);
      console.log('RESULT', code);`,
    expected: 'RESULT BULKHEAD_REJECTED',
  },
  {
    wait: 'bulkhead queue wait',
    script: `
      const system = createProductionSystem({}, {}, quiet);
      system.configureOperation('op', { bulkhead: { maxConcurrent: 1, maxQueue: 1 }, timeoutMs: 300, retry: false });
      const first = system.executeProtectedOperation('op', undefined, hang, { idempotent: false }).catch((e) => e.code);
      const second = await system.executeProtectedOperation('op', undefined, async () => 'queued call ran');
      console.log('RESULT', await first, second);`,
    expected: 'RESULT TIMEOUT queued call ran',
  },
  {
    wait: 'rate-limit wait (leaky bucket turn)',
    script: `
      const system = createProductionSystem({}, { rateLimiting: { global: { algorithm: 'leaky_bucket', capacity: 5, leakPerSecond: 2, maxWaitMs: 5000 } } }, quiet);
      const started = Date.now();
      const results = await Promise.all([1, 2, 3].map((i) => system.executeProtectedOperation('op', undefined, async () => i)));
      console.log('RESULT', results.join(','), Date.now() - started >= 900 ? 'waited' : 'did not wait');`,
    expected: 'RESULT 1,2,3 waited',
  },
  {
    wait: 'graceful shutdown with a hung handler and a pre-stop delay',
    script: `
      const system = createProductionSystem({}, { shutdown: { preStopDelayMs: 200, handlerTimeoutMs: 300 } }, quiet);
      system.components.shutdown.registerHandler('hung', { cleanup: hang });
      const report = await system.shutdown();
      console.log('RESULT', report.forced, report.handlers.find((h) => h.name === 'hung').outcome);`,
    expected: 'RESULT false timed_out',
  },
  {
    wait: 'notifier flush (DeliveryQueue.idle, then close with grace)',
    script: `
      const { DeliveryQueue } = await import('./dist/esm/monitoring/alerts/notifier.js');
      const notifier = { name: 'hung', notify: hang };
      const queue = new DeliveryQueue(notifier, { timeoutMs: 300, maxRetries: 1, maxQueue: 10, backoffMs: 100 });
      const alert = { status: 'firing', labels: { alertname: 'A' }, annotations: {}, startsAt: '', endsAt: '', generatorURL: '', fingerprint: 'f' };
      queue.enqueue([alert]);
      await queue.idle();
      const flushed = queue.stats();
      queue.enqueue([alert]);
      await queue.close(400);
      console.log('RESULT', flushed.failed, flushed.lastError, queue.stats().queued);`,
    expected: 'RESULT 1 hung timed out after 300 ms 0',
  },
  {
    wait: 'checkpoints: a SaveState that hangs, then loading the saved ones',
    script: `
      const dir = process.env.CHECKPOINT_DIR;
      const system = createProductionSystem({}, { shutdown: { checkpointDir: dir, handlerTimeoutMs: 300 } }, quiet);
      system.components.shutdown.registerHandler('slow_state', { saveState: hang });
      system.components.shutdown.registerHandler('state', { saveState: () => ({ n: 1 }) });
      const report = await system.shutdown();
      const again = createProductionSystem({}, { shutdown: { checkpointDir: dir } }, quiet);
      const loaded = await again.components.shutdown.loadLatestCheckpoint('state');
      console.log('RESULT', report.handlers.find((h) => h.name === 'slow_state').outcome, JSON.stringify(loaded.state));`,
    expected: 'RESULT timed_out {"n":1}',
  },
];

describe('timers a caller awaits keep the process alive (child processes)', () => {
  for (const { wait, script, expected } of CASES) {
    it(`${wait}: the await ends as promised and the process exits 0 by itself`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'awaited-'));
      try {
        const result = await runModuleScript(PREAMBLE + script, {
          env: { PATH: process.env.PATH, CHECKPOINT_DIR: dir },
          timeoutMs: 20_000,
        });
        expect(result.stdout + result.stderr, `exit ${result.code} ${result.signal ?? ''}`).toContain(expected);
        expect(result.code).toBe(0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
