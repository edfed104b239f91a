import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductionMonitor } from '../../src/monitoring/index.js';
import { getMeter } from '../../src/telemetry/api.js';
import { ATTR, DURATION_BUCKETS_SECONDS, METRIC } from '../../src/telemetry/names.js';
import { eventually, freePort, requireBinary, spawnService, waitForHttpOk } from '../support/helpers.js';
import { installEmbedded } from './helpers.js';

let env: ReturnType<typeof installEmbedded>;
let monitor: ProductionMonitor;
let service: Server;
let servicePort: number;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  env = installEmbedded();
  monitor = new ProductionMonitor({});
  // The pipeline records this histogram for real; here the test records it through the API meter.
  const duration = getMeter().createHistogram(METRIC.operationDuration, {
    description: 'Duration of protected operations, from admission to outcome',
    unit: 's',
    advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] },
  });
  duration.record(0.042, { [ATTR.operationName]: 'place_order', [ATTR.outcome]: 'success' });
  duration.record(1.3, { [ATTR.operationName]: 'place_order', [ATTR.outcome]: 'error', [ATTR.errorType]: 'TIMEOUT' });
  monitor.incrementCounter('test.requests', { route: '/orders', method: 'GET' });
  monitor.setGauge('test.queue.depth', 3);
  monitor.recordMetric('test.payload.size', 512, 'histogram', { kind: 'json' });
  monitor.log('info', 'test', 'setup', 'ready');
  await monitor.evaluateAlerts();
  servicePort = await freePort();
  service = createServer((req, res) => {
    if (req.url === '/metrics') return monitor.handleMetricsRequest(req, res);
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => service.listen(servicePort, '127.0.0.1', r));
});

afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn();
  service?.closeAllConnections();
  await new Promise((r) => service?.close(r));
  await monitor?.shutdown();
  await env?.telemetry.shutdown();
});

const runtimeLine = /^(process_|nodejs_|v8js_)|^# (HELP|TYPE|UNIT) (process_|nodejs_|v8js_)/;
const stable = (text: string) =>
  text
    .split('\n')
    .filter((l) => !runtimeLine.test(l))
    .join('\n');

describe('Prometheus exposition', () => {
  it('serves through the exporter handler exactly what getPrometheusMetrics returns', async () => {
    const response = await fetch(`http://127.0.0.1:${servicePort}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const served = await response.text();
    const returned = await monitor.exportPrometheusMetrics();
    expect(stable(served)).toBe(stable(returned));
    expect(returned).toContain('# HELP production_operation_duration Duration of protected operations, from admission to outcome');
    expect(returned).toMatch(
      /production_operation_duration_bucket\{production_operation_name="place_order",production_outcome="success",[^}]*le="0.05"\} 1/,
    );
    expect(returned).toMatch(/^test_requests_total\{route="\/orders",method="GET",/m);
    expect(returned).toMatch(/^nodejs_eventloop_delay_p99\{/m);
    expect(returned).toMatch(/^v8js_memory_heap_used\{/m);
    expect(returned).not.toContain('description missing');
  });

  it('passes promtool check metrics', () => {
    const promtool = requireBinary('/usr/bin/promtool', 'prometheus');
    return monitor.exportPrometheusMetrics().then((text) => {
      const result = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(`${result.stdout}${result.stderr}`).toBe('');
      expect(result.status).toBe(0);
    });
  });

  it('is scraped by a real Prometheus, which answers a query for production_operation_duration_bucket', async () => {
    const binary = requireBinary('/usr/bin/prometheus', 'prometheus');
    const dir = mkdtempSync(join(tmpdir(), 'llmkg-prom-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        'scrape_configs:',
        '  - job_name: llmkg',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${servicePort}']`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    const prometheus = await spawnService(
      binary,
      [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { ports: [port] },
    );
    cleanups.push(async () => void (await prometheus.stop()));
    await waitForHttpOk(`http://127.0.0.1:${port}/-/ready`);
    const query = encodeURIComponent('production_operation_duration_bucket{production_operation_name="place_order",le="0.05"}');
    type Answer = { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    // Prometheus scrapes on its own schedule: poll its API until the first scrape is in.
    const answer = await eventually(
      async () => {
        const response = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${query}`);
        // While its TSDB starts, Prometheus already listens but answers 503 "Service Unavailable".
        const body = response.ok ? ((await response.json()) as Answer) : undefined;
        return body !== undefined && body.data.result.length > 0 ? body : undefined;
      },
      { what: 'the first scrape to be queryable', timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(answer.status).toBe('success');
    const series = answer.data.result.map((r) => [r.metric.production_outcome, r.value[1]]).sort();
    expect(series).toEqual([
      ['error', '0'],
      ['success', '1'],
    ]);
    const targets = (await (await fetch(`http://127.0.0.1:${port}/api/v1/targets`)).json()) as {
      data: { activeTargets: { health: string; lastError: string }[] };
    };
    expect(targets.data.activeTargets[0]).toMatchObject({ health: 'up', lastError: '' });
  });
});
