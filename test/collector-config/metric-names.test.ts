import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_RULES } from '../../src/monitoring/index.js';
import {
  configPath,
  dashboardExprs,
  exposedNames,
  metricNamesIn,
  readYaml,
  scrapeLiveSystem,
  variableExpr,
  withGrafanaVariables,
} from './support.js';

interface PromRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const rules = readYaml<{ groups: Array<{ rules: PromRule[] }> }>('alert-rules.yml').groups.flatMap((g) => g.rules);
const dashboard = JSON.parse(readFileSync(configPath('grafana/dashboards/llmkg-production.json'), 'utf8')) as Record<string, unknown>;
const datasources = readYaml<{
  datasources: Array<{
    uid: string;
    type: string;
    jsonData?: {
      tracesToMetrics?: { queries?: Array<{ query: string }> };
      exemplarTraceIdDestinations?: Array<{ name: string; datasourceUid: string }>;
    };
  }>;
}>('grafana/provisioning/datasources/datasources.yaml').datasources;

/** Series Prometheus makes itself rather than scraping them from the service. */
const PROMETHEUS_SERIES = new Set(['up', 'ALERTS']);

const promDuration = (ms: number): string => (ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`);
const underscored = (otelName: string): string => otelName.replaceAll('.', '_');
/** The OTel name a scraped name came from, as far as the name tells (suffixes off, dots as underscores). */
const baseName = (scraped: string): string => scraped.replace(/_(bucket|sum|count|total)$/, '');

describe('the PromQL metric-name extractor', () => {
  it('finds metric names and ignores functions, labels, ranges, grouping and Grafana variables', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (job, le) (rate(a_bucket{job=~"$job", x="y}"}[$__rate_interval]))) / ignoring(le) b_total offset 5m > 1e3 or vector(0) and on (job) up',
      ).sort(),
    ).toEqual(['a_bucket', 'b_total', 'up']);
    expect(variableExpr('label_values(production_operation_duration_count{job=~"$job"}, instance)')).toBe(
      'production_operation_duration_count{job=~"$job"}',
    );
    expect(withGrafanaVariables('rate(m{$$__tags, job=~"$job"}[$__rate_interval])')).toBe(
      'rate(m{production_operation_name!="", job=~".*"}[1m])',
    );
  });
});

let scrape: Promise<Set<string>> | undefined;
/** Names in one live scrape, taken once; every test that needs it fails when it fails. */
const liveNames = (): Promise<Set<string>> => (scrape ??= scrapeLiveSystem().then(exposedNames));

describe('metric names used by collector-config exist in a live scrape', () => {
  it('the scrape holds the series every panel is about', async () => {
    const scraped = await liveNames();
    for (const name of [
      'production_operation_duration_bucket',
      'production_operation_duration_count',
      'production_operation_retries_total',
      'production_circuit_breaker_state',
      'production_rate_limit_decisions_total',
      'production_health_status',
      'production_alerts',
      'nodejs_eventloop_delay_p99',
      'v8js_memory_heap_used',
      'target_info',
    ]) {
      expect(scraped, name).toContain(name);
    }
  });

  it('every metric of alert-rules.yml', async () => {
    const scraped = await liveNames();
    const used = rules.flatMap((r) => metricNamesIn(r.expr));
    expect(used.length).toBeGreaterThanOrEqual(rules.length);
    expect(used.filter((n) => !scraped.has(n))).toEqual([]);
  });

  it('every metric of the dashboard queries, variables and annotations', async () => {
    const scraped = await liveNames();
    const exprs = dashboardExprs(dashboard);
    expect(exprs.length).toBeGreaterThan(25);
    const used = new Set(exprs.flatMap(metricNamesIn));
    expect([...used].filter((n) => !scraped.has(n) && !PROMETHEUS_SERIES.has(n))).toEqual([]);
  });

  it("every metric of the data sources' trace-to-metrics queries", async () => {
    const scraped = await liveNames();
    const queries = datasources.flatMap((d) => d.jsonData?.tracesToMetrics?.queries ?? []).map((q) => q.query);
    expect(queries.length).toBeGreaterThan(0);
    const used = new Set(queries.flatMap(metricNamesIn));
    expect([...used].filter((n) => !scraped.has(n))).toEqual([]);
  });
});

interface Target {
  expr?: string;
  exemplar?: boolean;
  datasource?: { uid?: string };
}
/** Every query target of the dashboard's panels (rows included), with its panel's title. */
function targets(panels: unknown): Array<{ panel: string; target: Target }> {
  const out: Array<{ panel: string; target: Target }> = [];
  for (const panel of (panels ?? []) as Array<{ title?: string; targets?: Target[]; panels?: unknown }>) {
    for (const target of panel.targets ?? []) out.push({ panel: panel.title ?? '', target });
    out.push(...targets(panel.panels));
  }
  return out;
}

describe('exemplars link a latency bucket to its trace', () => {
  const prometheus = datasources.find((d) => d.type === 'prometheus')!;
  const destination = prometheus.jsonData?.exemplarTraceIdDestinations?.[0];

  it('the latency panels ask for exemplars', () => {
    const latency = targets(dashboard.panels).filter(({ target }) => target.expr?.includes('production_operation_duration_bucket'));
    expect(latency.length).toBeGreaterThan(0);
    for (const { panel, target } of latency) expect(target.exemplar, `${panel}: ${target.expr}`).toBe(true);
  });

  it("the Prometheus data source sends an exemplar's trace_id to the Tempo data source", () => {
    expect(destination?.name).toBe('trace_id');
    expect(datasources.find((d) => d.uid === destination?.datasourceUid)?.type).toBe('tempo');
  });

  it('a live OpenMetrics scrape has exemplars on production_operation_duration_bucket with that label, holding trace IDs', async () => {
    const scrape = await scrapeLiveSystem('openmetrics');
    expect(scrape.endsWith('# EOF\n')).toBe(true);
    const exemplars = scrape
      .split('\n')
      .filter((line) => line.startsWith('production_operation_duration_bucket{'))
      .map((line) => / # \{(.*)\} \S+ \S+$/.exec(line)?.[1])
      .filter((labels): labels is string => labels !== undefined);
    expect(exemplars.length).toBeGreaterThan(0);
    for (const labels of exemplars) expect(labels).toMatch(new RegExp(`^${destination!.name}="[0-9a-f]{32}",span_id="[0-9a-f]{16}"$`));
  });
});

describe('alert-rules.yml agrees with the in-process default rules', () => {
  it('has exactly the default rules, by name', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual(DEFAULT_ALERT_RULES.map((r) => r.name).sort());
  });

  for (const def of DEFAULT_ALERT_RULES) {
    it(`${def.name}: same metric, match, grouping, window, comparison, threshold, for, severity and annotations`, () => {
      const rule = rules.find((r) => r.alert === def.name)!;
      expect(rule).toBeDefined();
      const expr = rule.expr.replace(/\s+/g, ' ');
      const bases = metricNamesIn(rule.expr).map(baseName);
      expect(bases).toContain(underscored(def.metric));
      if (def.denominator?.metric) expect(bases).toContain(underscored(def.denominator.metric));
      for (const [key, value] of Object.entries(def.match ?? {})) expect(expr).toContain(`${underscored(key)}="${String(value)}"`);
      const by = ['job', 'instance', ...(def.groupBy ?? []).map(underscored)];
      expect(expr).toContain(def.aggregation === 'quantile' ? `by (${[...by, 'le'].join(', ')})` : `by (${by.join(', ')})`);
      if (def.windowMs !== undefined) expect(expr).toContain(`[${promDuration(def.windowMs)}]`);
      if (def.aggregation === 'quantile') expect(expr).toContain(`histogram_quantile(${def.quantile},`);
      if (def.aggregation === 'ratio') expect(expr).toContain(' / ');
      expect(expr.trimEnd().endsWith(`${def.comparison ?? '>'} ${def.threshold}`), expr).toBe(true);
      expect(rule.for).toBe(promDuration(def.forMs ?? 0));
      expect(rule.labels).toEqual({ severity: def.severity ?? 'warning', ...def.labels });
      expect(rule.annotations).toEqual(def.annotations);
    });
  }
});
