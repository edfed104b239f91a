import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { productionConfigSchema, readConfigFile, resolveSources, validateConfigFile } from '../../src/entries/config.js';
import { createProductionSystem, type InvalidConfigFileError, type StandardProductionSystem } from '../../src/index.js';
import { parseConfigText } from '../../src/config/file.js';

const dir = mkdtempSync(join(tmpdir(), 'config-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function failure(run: () => unknown): InvalidConfigFileError {
  try {
    run();
  } catch (error) {
    return error as InvalidConfigFileError;
  }
  throw new Error('expected INVALID_CONFIG');
}

const systems: StandardProductionSystem[] = [];
afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.shutdown()));
});

function create(configFile: string, code: Parameters<typeof createProductionSystem>[1] = {}, env: NodeJS.ProcessEnv = {}) {
  const system = createProductionSystem(
    {},
    { shutdown: { exitProcess: false }, ...code },
    { env, configFile, watchConfigFile: false, startHealthChecks: false },
  );
  systems.push(system);
  return system;
}

describe('the configuration file', () => {
  it('names the file, the field path and the YAML line of a bad value, and of an unknown setting', () => {
    const path = write(
      'bad.yaml',
      'monitoring:\n  logLevel: warn\nrateLimiting:\n  global:\n    algorithm: token_bucket\n    capacity: -1\n    refillPerSecond: 1\n  bogus: 1\n',
    );
    const error = failure(() => create(path));
    expect(error).toMatchObject({ code: 'INVALID_CONFIG', path: 'rateLimiting.global.capacity', file: path, line: 6 });
    expect(error.message).toContain(`${path} line 6:`);
    expect(error.message).toMatch(/rateLimiting\.bogus \(line 8\): unknown setting "bogus"/);
  });

  it('names the line of a JSON field, and of a YAML syntax error', () => {
    const json = write('bad.json', '{\n  "monitoring": {\n    "logLevel": "loud"\n  }\n}\n');
    expect(failure(() => readConfigFile(json) && validateConfigFile(readConfigFile(json), productionConfigSchema))).toMatchObject({
      path: 'monitoring.logLevel',
      line: 3,
    });
    const broken = write('broken.yaml', 'monitoring:\n  logLevel: [warn\nadmin: 1\n');
    const error = failure(() => readConfigFile(broken));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toMatch(/not valid YAML/);
    expect(error.line).toBeGreaterThanOrEqual(2);
  });

  it('refuses a file that is missing, too big, of another kind, a list, or an alias bomb, naming it', () => {
    expect(failure(() => readConfigFile(join(dir, 'nope.yaml'))).message).toMatch(/nope\.yaml: .*cannot be read/);
    expect(failure(() => readConfigFile(write('x.toml', 'a = 1'))).message).toMatch(/expected a \.yaml, \.yml or \.json file/);
    expect(failure(() => readConfigFile(write('list.yaml', '- 1\n- 2\n'))).message).toMatch(/must hold a mapping/);
    expect(failure(() => readConfigFile(write('big.yaml', `# ${'x'.repeat(1024 * 1024)}\n`))).message).toMatch(/at most 1048576/);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++)
      bomb.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(', ')}]`,
      );
    expect(failure(() => readConfigFile(write('bomb.yaml', bomb.join('\n') + '\n'))).code).toBe('INVALID_CONFIG');
  });

  it('treats an empty file as an empty configuration and ignores $schema', () => {
    expect(parseConfigText('/x.yaml', '# nothing yet\n').values).toEqual({});
    expect(parseConfigText('/x.json', '{"$schema": "./node_modules/@llmkg/production/dist/config.schema.json"}').values).toEqual({});
  });

  it('resolves defaults < file < environment < code, field by field', () => {
    const path = write(
      'layers.yaml',
      [
        'monitoring:',
        '  logLevel: warn',
        '  logBufferSize: 77',
        'defaults:',
        '  timeoutMs: 1111',
        '  retry: { maxRetries: 5 }',
        'resourceLimits:',
        '  maxActiveOperations: 50',
      ].join('\n'),
    );
    const env = { PRODUCTION_LOG_LEVEL: 'error', PRODUCTION_DEFAULT_TIMEOUT_MS: '2222' };
    const { config } = resolveSources({ resourceLimits: { maxActiveOperations: 9 } }, { env, configFile: path });
    expect(config.monitoring.logBufferSize).toBe(77); // file over the default
    expect(config.monitoring.logLevel).toBe('error'); // environment over the file
    expect(config.errorRecovery.defaults.timeoutMs).toBe(2222); // environment (old path) over the file (new path)
    expect(config.errorRecovery.defaults.retry).toMatchObject({ maxRetries: 5, baseDelayMs: 100 }); // file over the default, field by field
    expect(config.resourceLimits.maxActiveOperations).toBe(9); // code over the file
    expect(config.deadlines.marginMs).toBe(10); // the default where nobody says
    // PRODUCTION_CONFIG_FILE names the file when the option does not.
    expect(resolveSources({}, { env: { PRODUCTION_CONFIG_FILE: path } }).config.monitoring.logBufferSize).toBe(77);
    expect(resolveSources({}, { env: { PRODUCTION_CONFIG_FILE: path }, configFile: false }).file).toBeUndefined();
  });

  it('maps one operations: entry onto recovery, rate limit and overload, and warns about the old sections naming the new path', async () => {
    const path = write(
      'ops.yaml',
      [
        'operations:',
        '  search:',
        '    retry: { maxRetries: 1 }',
        '    timeoutMs: 500',
        '    dependency: db',
        '    rateLimit: { algorithm: token_bucket, capacity: 2, refillPerSecond: 1 }',
        '    concurrency: { initialLimit: 5 }',
        '    criticality: sheddable',
        'dependencies:',
        '  db: { retryBudget: { ratio: 0.2 } }',
        'rateLimiting:',
        '  perOperation:',
        '    legacy: { algorithm: fixed_window, limit: 3, windowMs: 1000 }',
      ].join('\n'),
    );
    const system = create(path);
    const { recovery, limits, overload, monitor } = system.components;
    expect(recovery.getOperationConfig('search')).toMatchObject({
      timeoutMs: 500,
      dependency: 'db',
      retry: { maxRetries: 1, baseDelayMs: 100 },
    });
    expect(system.config.rateLimiting.perOperation).toHaveProperty('search');
    expect(system.config.rateLimiting.perOperation).toHaveProperty('legacy');
    expect(system.config.overload.operations.search).toMatchObject({ criticality: 'sheddable', concurrency: { initialLimit: 5 } });
    expect(overload.getOverloadStatus().limits.map((l) => l.operation)).toContain('search');
    const ok = () => system.executeProtectedOperation('search', undefined, () => Promise.resolve(1));
    await ok();
    await ok();
    await expect(ok()).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(limits.getRateLimitStats().operation.rejected).toBe(1);
    const warnings = monitor.getRecentLogs({ level: 'warn' }).map((l) => l.message);
    expect(warnings).toContain(
      'rateLimiting.perOperation.legacy is deprecated and will be removed in the next minor release: write operations.legacy.rateLimit instead',
    );
  });

  it('adds the alert rules of monitoring.alertRules and refuses duplicate names with the line', () => {
    const rule = '    - { name: SlowSearch, metric: production.operation.duration, aggregation: quantile, quantile: 0.99, threshold: 2 }';
    const system = create(write('rules.yaml', ['monitoring:', '  alertRules:', rule].join('\n')));
    expect(system.components.monitor.getAlertRules().find((r) => r.name === 'SlowSearch')).toMatchObject({ quantile: 0.99, threshold: 2 });
    const dup = failure(() => create(write('dup.yaml', ['monitoring:', '  alertRules:', rule, rule].join('\n'))));
    expect(dup).toMatchObject({ path: 'monitoring.alertRules', line: 3 });
  });

  it('says a function-only setting is code-only', () => {
    const error = failure(() => create(write('fn.yaml', 'defaults:\n  retry:\n    retryOn: always\n')));
    expect(error).toMatchObject({ path: 'defaults.retry.retryOn', line: 3 });
    expect(error.message).toMatch(/code-only \(a function\)/);
  });
});

describe("the configuration reference's example", () => {
  it('is a valid file that turns on overload control, a retry budget, throttling, an operation limit and an alert rule', async () => {
    const readme = (await import('node:fs')).readFileSync('docs/configuration.md', 'utf8');
    const section = readme.slice(readme.indexOf('## An example'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const { config } = resolveSources({}, { env: {}, configFile: write('readme.yaml', yaml) });
    expect(config.overload.concurrency).toMatchObject({ initialLimit: 50 });
    expect(config.dependencies['search-backend']).toMatchObject({ retryBudget: { ratio: 0.1 }, throttle: { k: 2 } });
    expect(config.rateLimiting.perOperation.search).toMatchObject({ capacity: 100 });
    expect(config.monitoring.alertRules.map((r) => r.name)).toEqual(['SlowSearch']);
  });
});
