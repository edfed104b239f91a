import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { requireBinary } from '../support/helpers.js';
import { ROOT } from '../support/helpers.js';
import { configPath, readYaml, run } from './support.js';

type Obj = Record<string, unknown>;
interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: Array<string | { source?: string; target: string; type?: string; read_only?: boolean }>;
  ports?: Array<{ published: number | string; target: number }>;
}

const collector = readYaml<Obj>('otel-collector.yaml');
const prometheus = readYaml<{
  rule_files: string[];
  scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
  alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
}>('prometheus.yml');
const tempo = readYaml<Obj>('tempo.yaml');
const datasources = readYaml<{ datasources: Array<{ name: string; type: string; uid: string; url: string; jsonData?: Obj }> }>(
  'grafana/provisioning/datasources/datasources.yaml',
).datasources;
const dashboardsProvisioning = readYaml<{ providers: Array<{ options: { path: string } }> }>(
  'grafana/provisioning/dashboards/dashboards.yaml',
);
const dashboard = JSON.parse(readFileSync(configPath('grafana/dashboards/llmkg-production.json'), 'utf8')) as {
  uid: string;
  panels: Array<{
    id: number;
    type: string;
    title: string;
    datasource?: { uid: string };
    gridPos: { x: number; w: number };
    targets?: Array<{ datasource?: { uid: string }; expr: string }>;
  }>;
};

const hostPort = (target: string): [string, number] => {
  const [host, port] = target.split(':');
  return [host!, Number(port)];
};
/** A volume as `source:target[:ro]`, from docker-compose v1's string form or the long form. */
const mountSpec = (v: NonNullable<ComposeService['volumes']>[number]): string =>
  typeof v === 'string' ? v : `${v.source ?? ''}:${v.target}${v.read_only ? ':ro' : ''}`;
const endpointPort = (endpoint: unknown): number => Number(String(endpoint).split(':').pop());

let composeConfig: Promise<Record<string, ComposeService>> | undefined;
/** `docker-compose config` of the shipped file, run once; every test that needs it fails when it fails. */
function resolvedCompose(): Promise<Record<string, ComposeService>> {
  composeConfig ??= (async () => {
    const binary = requireBinary('/usr/bin/docker-compose', 'docker-compose');
    const result = await run(binary, ['-f', 'collector-config/docker-compose.yaml', 'config']);
    if (result.code !== 0) throw new Error(`docker-compose config failed (${result.code}):\n${result.stderr}`);
    return (parse(result.stdout) as { services: Record<string, ComposeService> }).services;
  })();
  return composeConfig;
}

describe('docker-compose.yaml', () => {
  it('passes `docker-compose config` and brings up the whole stack', async () => {
    const services = await resolvedCompose();
    expect(Object.keys(services).sort()).toEqual([
      'alertmanager',
      'app',
      'grafana',
      'jaeger',
      'otel-collector',
      'prometheus',
      'tempo',
      'tempo-init',
    ]);
    expect(services['otel-collector']!.image).toMatch(/^otel\/opentelemetry-collector-contrib:\d+\.\d+\.\d+$/);
    expect(services.jaeger!.image).toMatch(/^jaegertracing\/(jaeger|all-in-one):/);
    expect(services.tempo!.image).toMatch(/^grafana\/tempo:/);
    expect(services.prometheus!.image).toMatch(/^prom\/prometheus:/);
    expect(services.grafana!.image).toMatch(/^grafana\/grafana:/);
  });

  it('runs the example service with the preload, sending OTLP to the collector and serving /metrics to Prometheus', async () => {
    const services = await resolvedCompose();
    const app = services.app!;
    expect(app.build).toEqual({ context: ROOT, dockerfile: 'collector-config/Dockerfile' });
    expect(app.environment).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318',
      OTEL_EXPORTER_PROMETHEUS_HOST: '0.0.0.0',
      PORT: '3000',
      HOST: '0.0.0.0',
    });
    const adminPort = Number(app.environment!.OTEL_EXPORTER_PROMETHEUS_PORT ?? 9464);
    const job = prometheus.scrape_configs.find((c) => c.job_name === 'llmkg-production')!;
    expect(job.static_configs[0]!.targets).toEqual([`app:${adminPort}`]);
    // The image runs what `npm start` runs (minus the build, done when the image is built).
    const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(configPath('Dockerfile'), 'utf8'))![1]!;
    expect(start).toContain((JSON.parse(cmd) as string[]).join(' '));
  });

  it('mounts files that exist, with prometheus.yml and alert-rules.yml side by side', async () => {
    const services = await resolvedCompose();
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = mountSpec(volume).split(':')[0]!;
        if (isAbsolute(source)) expect(existsSync(source), `${name} mounts ${source}`).toBe(true);
      }
    }
    const mounts = (services.prometheus!.volumes ?? []).map(mountSpec);
    expect(mounts).toContain(`${configPath('prometheus.yml')}:/etc/prometheus/prometheus.yml:ro`);
    expect(mounts).toContain(`${configPath('alert-rules.yml')}:/etc/prometheus/${prometheus.rule_files[0]}:ro`);
    expect(services.prometheus!.command).toContain('--web.enable-remote-write-receiver');
    const grafanaMounts = (services.grafana!.volumes ?? []).map(mountSpec);
    expect(grafanaMounts).toContain(`${configPath('grafana/dashboards')}:${dashboardsProvisioning.providers[0]!.options.path}:ro`);
  });

  it('points every URL of the other files at a compose service', async () => {
    const services = await resolvedCompose();
    const names = new Set(Object.keys(services));
    const exporters = collector.exporters as Record<string, { endpoint?: string }>;
    for (const exporter of ['otlp_grpc/jaeger', 'otlp_grpc/tempo']) expect(names).toContain(hostPort(exporters[exporter]!.endpoint!)[0]);
    for (const target of prometheus.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets))) {
      const [host] = hostPort(target);
      if (host !== 'localhost') expect(names, target).toContain(host);
    }
    expect(names).toContain(hostPort(prometheus.alerting.alertmanagers[0]!.static_configs[0]!.targets[0]!)[0]);
    for (const ds of datasources) expect(names, ds.url).toContain(new URL(ds.url).hostname);
  });
});

describe('otel-collector.yaml', () => {
  const pipelines = ((collector.service as Obj).pipelines ?? {}) as Record<
    string,
    { receivers: string[]; processors: string[]; exporters: string[] }
  >;

  it('receives OTLP over gRPC on 4317 and HTTP on 4318', () => {
    const protocols = ((collector.receivers as Obj).otlp as { protocols: Record<string, { endpoint: string }> }).protocols;
    expect(protocols.grpc!.endpoint).toBe('0.0.0.0:4317');
    expect(protocols.http!.endpoint).toBe('0.0.0.0:4318');
  });

  it('runs memory_limiter first and batch last in every pipeline', () => {
    expect(Object.keys(pipelines).sort()).toEqual(['logs', 'metrics', 'traces']);
    for (const [name, pipeline] of Object.entries(pipelines)) {
      expect(pipeline.receivers, name).toEqual(['otlp']);
      expect(pipeline.processors[0], name).toBe('memory_limiter');
      expect(pipeline.processors.at(-1), name).toBe('batch');
    }
  });

  it('sends traces to Jaeger and Tempo over OTLP, metrics to Prometheus, logs to debug', () => {
    expect(pipelines.traces!.exporters.sort()).toEqual(['otlp_grpc/jaeger', 'otlp_grpc/tempo']);
    expect(pipelines.metrics!.exporters).toEqual(['prometheus']);
    expect(pipelines.logs!.exporters).toEqual(['debug']);
    const exporters = collector.exporters as Record<string, { endpoint?: string; tls?: { insecure?: boolean } }>;
    expect(exporters['otlp_grpc/jaeger']).toEqual({ endpoint: 'jaeger:4317', tls: { insecure: true } });
    expect(exporters['otlp_grpc/tempo']).toEqual({ endpoint: 'tempo:4317', tls: { insecure: true } });
    const collectorTargets = prometheus.scrape_configs
      .find((c) => c.job_name === 'otel-collector')!
      .static_configs.flatMap((s) => s.targets);
    expect(collectorTargets).toContain(`otel-collector:${endpointPort(exporters.prometheus!.endpoint)}`);
    const reader = (
      (((collector.service as Obj).telemetry as Obj).metrics as Obj).readers as Array<{
        pull: { exporter: { prometheus: { host: string; port: number } } };
      }>
    )[0]!;
    expect(collectorTargets).toContain(`otel-collector:${reader.pull.exporter.prometheus.port}`);
  });

  it('defines every component a pipeline uses and uses every component it defines', () => {
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      const defined = Object.keys(collector[kind] as Obj).sort();
      const used = [...new Set(Object.values(pipelines).flatMap((p) => p[kind]))].sort();
      expect(used, kind).toEqual(defined);
    }
    const extensions = Object.keys(collector.extensions as Obj);
    expect(((collector.service as Obj).extensions as string[]).sort()).toEqual(extensions.sort());
  });
});

describe('tempo.yaml', () => {
  it('receives OTLP gRPC on 4317, serves Grafana on the data source port and remote-writes to Prometheus', () => {
    const otlp = (((tempo.distributor as Obj).receivers as Obj).otlp as { protocols: Record<string, { endpoint: string }> }).protocols;
    expect(otlp.grpc!.endpoint).toBe('0.0.0.0:4317');
    const port = (tempo.server as { http_listen_port: number }).http_listen_port;
    expect(datasources.find((d) => d.uid === 'tempo')!.url).toBe(`http://tempo:${port}`);
    const remote = ((tempo.metrics_generator as Obj).storage as { remote_write: Array<{ url: string }> }).remote_write[0]!.url;
    expect(remote).toBe('http://prometheus:9090/api/v1/write');
  });
});

describe('Grafana provisioning and dashboard', () => {
  it('provisions Prometheus, Tempo and Jaeger, with trace-to-metrics links to Prometheus', () => {
    expect(datasources.map((d) => `${d.type}:${d.uid}`).sort()).toEqual(['jaeger:jaeger', 'prometheus:prometheus', 'tempo:tempo']);
    for (const uid of ['tempo', 'jaeger']) {
      const links = datasources.find((d) => d.uid === uid)!.jsonData!.tracesToMetrics as {
        datasourceUid: string;
        tags: Array<{ key: string; value: string }>;
        queries: Array<{ query: string }>;
      };
      expect(links.datasourceUid).toBe('prometheus');
      expect(links.tags).toContainEqual({ key: 'production.operation.name', value: 'production_operation_name' });
      // `$$` survives Grafana's environment expansion of provisioning files as one `$`.
      for (const q of links.queries) expect(q.query).toMatch(/\{\$\$__tags\}/);
    }
    const prom = datasources.find((d) => d.uid === 'prometheus')!.jsonData as {
      exemplarTraceIdDestinations: Array<{ datasourceUid: string }>;
    };
    expect(prom.exemplarTraceIdDestinations[0]!.datasourceUid).toBe('tempo');
  });

  it('has a valid panel layout bound to the provisioned Prometheus', () => {
    expect(dashboard.uid).toBe('llmkg-production');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
      if (panel.type === 'row') continue;
      expect(panel.datasource?.uid, panel.title).toBe('prometheus');
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
  });

  it('covers operations (rate, errors, p50/p99), breakers, rate limits, health, alerts and the Node runtime', () => {
    const all = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    expect(all).toMatch(/rate\(production_operation_duration_count\{/);
    expect(all).toMatch(/production_outcome="error"/);
    expect(all).toMatch(/histogram_quantile\(0\.5, sum by \(production_operation_name, le\) \(rate\(production_operation_duration_bucket/);
    expect(all).toMatch(/histogram_quantile\(0\.99, sum by \(production_operation_name, le\) \(rate\(production_operation_duration_bucket/);
    for (const name of [
      'production_circuit_breaker_state',
      'production_rate_limit_decisions_total',
      'production_health_status',
      'production_alerts',
      'ALERTS',
      'process_cpu_utilization',
      'v8js_memory_heap_used',
      'nodejs_eventloop_delay_p99',
    ]) {
      expect(all).toContain(name);
    }
  });
});
