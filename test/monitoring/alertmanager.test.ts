import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductionMonitor } from '../../src/monitoring/index.js';
import { freePort, requireBinary, spawnService, type ChildHandle, waitForHttpOk } from '../support/helpers.js';
import { installEmbedded } from './helpers.js';
import { clockOf } from '../support/clock.js';

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
  status: { state: string };
}

let env: ReturnType<typeof installEmbedded>;
let am: ChildHandle;
let dir: string;
let baseUrl: string;

beforeAll(async () => {
  env = installEmbedded();
  const binary = requireBinary('/usr/bin/prometheus-alertmanager', 'prometheus-alertmanager');
  dir = mkdtempSync(join(tmpdir(), 'llmkg-am-'));
  const config = join(dir, 'alertmanager.yml');
  writeFileSync(config, ['route:', "  receiver: 'blackhole'", '  group_wait: 1s', 'receivers:', "  - name: 'blackhole'", ''].join('\n'));
  const port = await freePort();
  am = await spawnService(
    binary,
    [
      `--config.file=${config}`,
      `--storage.path=${dir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { ports: [port] },
  );
  await waitForHttpOk(`http://127.0.0.1:${port}/-/ready`);
  baseUrl = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await am?.stop();
  await env?.telemetry.shutdown();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function amAlerts(): Promise<AmAlert[]> {
  const response = await fetch(`${baseUrl}/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true`);
  expect(response.status).toBe(200);
  return (await response.json()) as AmAlert[];
}

describe('Alertmanager client against a real Alertmanager', () => {
  it('delivers a firing alert, re-sends it while firing, and resolves it', async () => {
    let offset = 0;
    const monitor = new ProductionMonitor(
      {
        defaultAlertRules: false,
        runtimeMetrics: false,
        alertmanager: { url: baseUrl, timeoutMs: 5000, maxRetries: 2, maxQueue: 100 },
        externalUrl: 'http://127.0.0.1:9464',
        alertResendIntervalMs: 60_000,
      },
      {
        clock: clockOf(() => Date.now() + offset),
        alertRules: [
          {
            name: 'PaymentsDown',
            metric: 'test.payments.healthy',
            comparison: '<',
            threshold: 1,
            severity: 'critical',
            labels: { team: 'payments' },
            annotations: { summary: 'payments unhealthy', description: 'value {{ $value }}' },
          },
        ],
      },
    );
    try {
      monitor.setGauge('test.payments.healthy', 0, { region: 'eu' });
      await monitor.evaluateAlerts();
      await monitor.notifiersIdle();
      const [firing] = (await amAlerts()).filter((a) => a.labels.alertname === 'PaymentsDown');
      expect(firing).toBeDefined();
      expect(firing!.labels).toEqual({ alertname: 'PaymentsDown', severity: 'critical', team: 'payments' });
      expect(firing!.annotations).toEqual({ summary: 'payments unhealthy', description: 'value 0' });
      expect(firing!.status.state).toBe('active');
      expect(firing!.generatorURL).toBe('http://127.0.0.1:9464/status#alert-PaymentsDown');
      expect(firing!.fingerprint).toBe(monitor.getActiveAlerts()[0]!.fingerprint);
      const firstEndsAt = Date.parse(firing!.endsAt);
      expect(firstEndsAt).toBeGreaterThan(Date.now());

      // A minute later (on the monitor's clock) it is sent again, pushing endsAt ahead.
      offset = 61_000;
      await monitor.evaluateAlerts();
      await monitor.notifiersIdle();
      const [resent] = (await amAlerts()).filter((a) => a.labels.alertname === 'PaymentsDown');
      expect(Date.parse(resent!.endsAt)).toBeGreaterThanOrEqual(firstEndsAt + 60_000);

      offset = 0;
      monitor.setGauge('test.payments.healthy', 1, { region: 'eu' });
      await monitor.evaluateAlerts();
      await monitor.notifiersIdle();
      expect(monitor.getActiveAlerts()).toEqual([]);
      expect((await amAlerts()).filter((a) => a.labels.alertname === 'PaymentsDown')).toEqual([]);
      expect(monitor.healthCheck().notifiers).toMatchObject([{ sent: 3, failed: 0, dropped: 0 }]);
    } finally {
      await monitor.shutdown();
    }
  });
});
