import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  eventually,
  freePort,
  requireBinary,
  requireBuild,
  spawnProcess,
  spawnService,
  waitForHttpOk,
  type ChildHandle,
} from '../support/helpers.js';
import { configPath, dashboardExprs, fixturePath, readYaml, withGrafanaVariables } from './support.js';

/**
 * A real Prometheus (Debian's `prometheus`) scrapes a production system with the shipped prometheus.yml and
 * alert-rules.yml, and the feature flags docker-compose.yaml gives it (exemplar storage). Changes to the
 * copies, and only these: the scrape target is the test system's admin port, intervals are 1 s, other jobs
 * and the Alertmanager are dropped (nothing runs there), and ProductionHighErrorRate's `for: 2m` becomes
 * 2 s, in Prometheus and in the in-process rule alike, so the test takes seconds rather than minutes. The
 * 5-minute window and the 5% threshold are the shipped ones.
 */
const FOR_MS = 2000;
const ALERT = 'ProductionHighErrorRate';

interface PromAlert {
  labels: Record<string, string>;
  state: string;
  value: string;
}
interface InProcessAlert {
  name: string;
  state: string;
  labels: Record<string, string>;
}

describe('a real Prometheus with the shipped prometheus.yml and alert-rules.yml', () => {
  let dir: string;
  let prometheus: ChildHandle | undefined;
  let service: ChildHandle | undefined;
  let base: string;

  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${base}${path}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? response.status}`);
    return body.data;
  };
  const promAlerts = async (): Promise<PromAlert[]> => (await api<{ alerts: PromAlert[] }>('/api/v1/alerts')).alerts;
  const until = <T>(what: string, probe: () => Promise<T>, timeoutMs: number) =>
    eventually(probe, { what, timeoutMs, intervalMs: 250, details: () => prometheus?.output() ?? '' });
  const inProcessAlerts = (): InProcessAlert[] => {
    const last = service!
      .lines()
      .filter((l) => l.startsWith('ALERT '))
      .at(-1);
    return last === undefined ? [] : (JSON.parse(last.slice(6)) as InProcessAlert[]);
  };

  beforeAll(async () => {
    const binary = requireBinary('/usr/bin/prometheus', 'prometheus');
    requireBuild('dist/esm/index.js');
    dir = mkdtempSync(join(tmpdir(), 'llmkg-prometheus-'));
    const adminPort = await freePort();
    service = spawnProcess(process.execPath, [fixturePath('faulty-service.mjs'), String(adminPort), String(FOR_MS)], { stdin: true });
    await service.waitForLine(/^READY /, 20_000);

    const config = readYaml<{
      global: Record<string, string>;
      storage?: { exemplars?: { max_exemplars?: number } };
      rule_files: string[];
      alerting?: unknown;
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    }>('prometheus.yml');
    expect(config.storage?.exemplars?.max_exemplars).toBeGreaterThan(0);
    config.global = { ...config.global, scrape_interval: '1s', evaluation_interval: '1s' };
    delete config.alerting;
    const job = config.scrape_configs.find((c) => c.job_name === 'llmkg-production')!;
    expect(job.static_configs[0]!.targets).toEqual(['app:9464']);
    job.static_configs = [{ targets: [`127.0.0.1:${adminPort}`] }];
    config.scrape_configs = [job];
    writeFileSync(join(dir, 'prometheus.yml'), stringify(config));

    const rules = parse(readFileSync(configPath('alert-rules.yml'), 'utf8')) as {
      groups: Array<{ rules: Array<{ alert: string; for?: string }> }>;
    };
    const rule = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === ALERT)!;
    expect(rule.for).toBe('2m');
    rule.for = `${FOR_MS / 1000}s`;
    writeFileSync(join(dir, config.rule_files[0]!), stringify(rules));

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const compose = readYaml<{ services: Record<string, { command?: string[] }> }>('docker-compose.yaml');
    const features = (compose.services.prometheus!.command ?? []).filter((arg) => arg.startsWith('--enable-feature='));
    expect(features).toContain('--enable-feature=exemplar-storage');
    prometheus = await spawnService(
      binary,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
        ...features,
      ],
      { ports: [port] },
    );
    await waitForHttpOk(`${base}/-/ready`);
  });

  afterAll(async () => {
    await prometheus?.stop();
    await service?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes the service, and nothing fires while every call succeeds', async () => {
    await until(
      'a few scrapes of the service',
      async () => {
        const result = await api<{ result: Array<{ value: [number, string] }> }>(
          '/api/v1/query?query=' + encodeURIComponent('count_over_time(up{job="llmkg-production"}[1m])'),
        );
        const scrapes = Number(result.result[0]?.value[1] ?? 0);
        return scrapes >= 4 ? scrapes : undefined;
      },
      20_000,
    );
    const up = await api<{ result: Array<{ value: [number, string] }> }>('/api/v1/query?query=up');
    expect(up.result[0]?.value[1]).toBe('1');
    // With the rule evaluated over healthy traffic for longer than its `for`, neither side has the alert.
    const healthySince = Date.now();
    await until(
      'Prometheus to evaluate the rule for longer than its for',
      async () => {
        const { groups } = await api<{ groups: Array<{ rules: Array<{ name: string; lastEvaluation: string }> }> }>('/api/v1/rules');
        const rule = groups.flatMap((g) => g.rules).find((r) => r.name === ALERT);
        return rule !== undefined && Date.parse(rule.lastEvaluation) >= healthySince + FOR_MS + 1000;
      },
      20_000,
    );
    expect((await promAlerts()).filter((a) => a.labels.alertname === ALERT)).toEqual([]);
    expect(inProcessAlerts().filter((a) => a.name === ALERT)).toEqual([]);
  }, 40_000);

  it('stores the exemplars of its OpenMetrics scrapes: query_exemplars returns the trace of a call the test made', async () => {
    service!.write('traced\n');
    const [, traceId, spanId] = (await service!.waitForLine(/^TRACED /, 20_000)).split(' ');
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    type Stored = {
      seriesLabels: Record<string, string>;
      exemplars: Array<{ labels: Record<string, string>; value: string; timestamp: number }>;
    };
    const selector = encodeURIComponent('production_operation_duration_bucket{production_operation_name="graph.traced"}');
    const found = await until(
      'the exemplar of the traced call',
      async () => {
        const now = Date.now() / 1000;
        const stored = await api<Stored[]>(`/api/v1/query_exemplars?query=${selector}&start=${now - 300}&end=${now + 60}`);
        return stored.find((s) => s.exemplars.some((e) => e.labels.trace_id === traceId));
      },
      20_000,
    );
    const exemplar = found.exemplars.find((e) => e.labels.trace_id === traceId)!;
    expect(exemplar.labels).toEqual({ trace_id: traceId, span_id: spanId });
    // It sits on the bucket its value fell in: the call's 300 ms (a timer may fire a few ms early) or more.
    const value = Number(exemplar.value);
    expect(value).toBeGreaterThan(0.25);
    expect(value).toBeLessThanOrEqual(Number(found.seriesLabels.le));
    expect(Number(found.seriesLabels.le)).toBeGreaterThanOrEqual(0.5);
    expect(found.seriesLabels).toMatchObject({ job: 'llmkg-production', production_outcome: 'success' });
    // The scrapes were OpenMetrics (only it carries exemplars): there target_info is an `info` family.
    const metadata = await api<Record<string, Array<{ type: string }>>>('/api/v1/metadata?metric=target');
    expect(metadata.target?.[0]?.type).toBe('info');
  }, 40_000);

  it('every rule and every dashboard query runs on it', async () => {
    const groups = await api<{ groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> }>('/api/v1/rules');
    const loaded = groups.groups.flatMap((g) => g.rules);
    expect(loaded).toHaveLength(6);
    for (const rule of loaded) expect(rule.health, `${rule.name}: ${rule.lastError ?? ''}`).toBe('ok');
    const dashboard = JSON.parse(readFileSync(configPath('grafana/dashboards/llmkg-production.json'), 'utf8')) as unknown;
    let withData = 0;
    for (const expr of dashboardExprs(dashboard)) {
      const data = await api<{ result: unknown[] }>('/api/v1/query?query=' + encodeURIComponent(withGrafanaVariables(expr))).catch(
        (error: Error) => {
          throw new Error(`${expr}\n${error.message}`);
        },
      );
      if (data.result.length > 0) withData++;
    }
    // Most panels show data already (a few, such as retries and in-process alerts, wait for faults).
    expect(withData).toBeGreaterThan(20);
  }, 30_000);

  it('with faults injected, the in-process evaluator fires ProductionHighErrorRate and so does Prometheus', async () => {
    service!.write('faults\n');
    const inProcess = await until(
      'the in-process alert to fire',
      async () => inProcessAlerts().find((a) => a.name === ALERT && a.state === 'firing'),
      20_000,
    );
    expect(inProcess.labels).toEqual({ alertname: ALERT, severity: 'critical', production_operation_name: 'graph.query' });

    const fired = await until(
      'Prometheus to fire the matching rule',
      async () => (await promAlerts()).find((a) => a.labels.alertname === ALERT && a.state === 'firing'),
      25_000,
    );
    const { job, instance, ...labels } = fired.labels;
    expect(job).toBe('llmkg-production');
    expect(instance).toMatch(/^127\.0\.0\.1:\d+$/);
    // The same alert: name, severity and operation; the error ratio both sides see is near the injected 1 in 2.
    expect(labels).toEqual(inProcess.labels);
    expect(Number(fired.value)).toBeGreaterThan(0.05);
    // The healthy operation fires on neither side.
    expect((await promAlerts()).filter((a) => a.labels.production_operation_name === 'graph.neighbours')).toEqual([]);
    expect(inProcessAlerts().filter((a) => a.labels.production_operation_name === 'graph.neighbours')).toEqual([]);
    // Prometheus also sees the service's own view of it through the production_alerts gauge.
    const gauge = await until(
      'production_alerts to be scraped',
      async () => {
        const data = await api<{ result: Array<{ metric: Record<string, string> }> }>(
          '/api/v1/query?query=' + encodeURIComponent(`production_alerts{alertname="${ALERT}", alertstate="firing"} == 1`),
        );
        return data.result[0];
      },
      10_000,
    );
    expect(gauge.metric.production_operation_name).toBe('graph.query');
  }, 60_000);
});
