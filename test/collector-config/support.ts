import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { requireBuild, ROOT } from '../support/helpers.js';

/** The shipped collector-config folder. */
export const CONFIG_DIR = join(ROOT, 'collector-config');
/** Path of a file in collector-config/. */
export const configPath = (...parts: string[]): string => join(CONFIG_DIR, ...parts);
/** Path of a test fixture. */
export const fixturePath = (name: string): string => join(ROOT, 'test/collector-config/fixtures', name);

/** Parses a YAML file of collector-config/. */
export function readYaml<T = Record<string, unknown>>(...parts: string[]): T {
  return parse(readFileSync(configPath(...parts), 'utf8')) as T;
}

/** Result of running a command to its end. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command args` (cwd: the repository root unless given) and resolves with its exit code and output. */
export function run(command: string, args: string[], cwd = ROOT, timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({
        code,
        stdout: String(stdout),
        stderr: String(stderr) + (error && typeof error.code !== 'number' ? String(error.message) : ''),
      });
    });
  });
}

/**
 * Runs the scrape fixture (a production system from dist with successes, failures and retries, an open
 * breaker and a rate-limit rejection) and returns what its /metrics serves: the text format, or what a
 * scraper asking for OpenMetrics gets.
 */
export async function scrapeLiveSystem(format: 'prometheus' | 'openmetrics' = 'prometheus'): Promise<string> {
  requireBuild('dist/esm/index.js');
  const result = await run(
    process.execPath,
    [fixturePath('scrape-system.mjs'), ...(format === 'openmetrics' ? ['openmetrics'] : [])],
    ROOT,
    30_000,
  );
  if (result.code !== 0) throw new Error(`scrape fixture failed (${result.code}):\n${result.stderr}`);
  return result.stdout;
}

/** Metric names present in a Prometheus text exposition (sample lines and `# TYPE` lines). */
export function exposedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      names.add(line.split(' ')[2]!);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const match = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (match) names.add(match[0]);
  }
  return names;
}

const NOT_METRICS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

/**
 * Metric names a PromQL expression selects. Strings, label matchers, range selectors and grouping clauses
 * are removed first (they hold label names and Grafana variables such as `$__rate_interval`), then every
 * identifier that is not a function call, a keyword or part of a number is a metric name.
 */
export function metricNamesIn(expr: string): string[] {
  let s = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  s = s.replace(/\{[^}]*\}/g, ' ').replace(/\[[^\]]*\]/g, ' ');
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ');
  const names = new Set<string>();
  for (const match of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = match[0];
    const index = match.index;
    const before = index > 0 ? s[index - 1]! : ' ';
    if (/[0-9.$]/.test(before)) continue;
    if (/^\s*\(/.test(s.slice(index + name.length))) continue;
    if (NOT_METRICS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

/** The metric expression of a Grafana `label_values(metric{...}, label)` variable query, else the query. */
export function variableExpr(query: string): string {
  const match = /^\s*label_values\(\s*(.*)\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$/s.exec(query);
  return match ? match[1]! : query;
}

/** Every PromQL expression of the dashboard: panel targets, annotations and variable queries. */
export function dashboardExprs(dashboard: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if (k === 'expr' && typeof v === 'string') out.push(v);
      else walk(v);
    }
  };
  const d = dashboard as { panels?: unknown; annotations?: unknown; templating?: { list?: Array<{ query?: unknown }> } };
  walk(d.panels);
  walk(d.annotations);
  for (const variable of d.templating?.list ?? []) {
    const q = variable.query;
    const text = typeof q === 'string' ? q : (q as { query?: string } | undefined)?.query;
    if (typeof text === 'string') out.push(variableExpr(text));
  }
  return out;
}

/** Replaces Grafana's dashboard variables with values Prometheus accepts, to run a panel's query as is. */
export function withGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$\$__tags|\$__tags/g, 'production_operation_name!=""')
    .replace(/\$\$__rate_interval|\$__rate_interval/g, '1m')
    .replace(/\$(job|instance|operation)\b/g, '.*');
}
