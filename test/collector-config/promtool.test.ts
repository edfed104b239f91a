import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireBinary } from '../support/helpers.js';
import { CONFIG_DIR, configPath, run } from './support.js';

const promtool = (): string => requireBinary('/usr/bin/promtool', 'prometheus');

describe('promtool on the shipped Prometheus files', () => {
  it('accepts prometheus.yml, resolving rule_files beside it', async () => {
    const result = await run(promtool(), ['check', 'config', configPath('prometheus.yml')]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/1 rule files found/);
    expect(result.stdout).toMatch(/SUCCESS: 6 rules found/);
  });

  it('accepts alert-rules.yml', async () => {
    const result = await run(promtool(), ['check', 'rules', configPath('alert-rules.yml')]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/SUCCESS: 6 rules found/);
  });

  it('passes the rule unit tests in alert-rules.test.yml', async () => {
    const result = await run(promtool(), ['test', 'rules', 'alert-rules.test.yml'], CONFIG_DIR);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/SUCCESS/);
  });

  it('the unit tests catch a changed threshold', async () => {
    // A copy of the rules with the error-rate threshold raised past the tests' 10% error series must fail.
    const dir = mkdtempSync(join(tmpdir(), 'llmkg-rules-'));
    try {
      copyFileSync(configPath('alert-rules.test.yml'), join(dir, 'alert-rules.test.yml'));
      const rules = readFileSync(configPath('alert-rules.yml'), 'utf8');
      const mutated = rules.replace(/\n\s*> 0\.05\n/, '\n          > 0.2\n');
      expect(mutated).not.toBe(rules);
      writeFileSync(join(dir, 'alert-rules.yml'), mutated);
      const result = await run(promtool(), ['test', 'rules', 'alert-rules.test.yml'], dir);
      expect(result.code).not.toBe(0);
      expect(result.stdout + result.stderr).toMatch(/ProductionHighErrorRate/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('amtool accepts alertmanager.yml', async () => {
    const amtool = requireBinary('/usr/bin/amtool', 'prometheus-alertmanager');
    const result = await run(amtool, ['check-config', configPath('alertmanager.yml')]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });
});
