import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { InvalidConfigError } from '../../src/errors.js';
import { parseSection, toInvalidConfig } from '../../src/internal/validation.js';
import { parseAlertRule } from '../../src/monitoring/alerts/rule.js';

describe('validation at the edge', () => {
  const schema = z.strictObject({ port: z.number().int(), nested: z.strictObject({ ms: z.number().min(1) }).optional() });

  it('parseSection names the first bad field under its prefix', () => {
    expect(parseSection(schema, { port: 1 }, 'admin')).toEqual({ port: 1 });
    expect(() => parseSection(schema, { port: 1, nested: { ms: 0 } }, 'admin')).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'admin.nested.ms' }),
    );
    expect(() => parseSection(schema, 'nope', '')).toThrow(expect.objectContaining({ path: '(root)' }));
  });

  it('parses once without generating code: no zod fast path compiled for a section or the whole config', () => {
    const section = z.object({ port: z.number(), host: z.string() });
    const generated: string[] = [];
    const original = globalThis.Function;
    // zod compiles its fast path with `new Function(...)`; counting those calls shows whether it did.
    globalThis.Function = new Proxy(original, {
      construct(target, args: string[]) {
        generated.push(String(args.at(-1)));
        return Reflect.construct(target, args);
      },
    });
    try {
      expect(parseSection(section, { port: 1, host: 'h' }, 'admin')).toEqual({ port: 1, host: 'h' });
      expect(resolveConfig({}, {}).admin.port).toBeTypeOf('number');
      expect(generated).toEqual([]);
      // The same schema parsed with zod's defaults does compile it, so the count above can fail.
      section.parse({ port: 2, host: 'h' });
      expect(generated.length).toBeGreaterThan(0);
    } finally {
      globalThis.Function = original;
    }
  });

  it('toInvalidConfig says where the value came from when told', () => {
    const error = schema.safeParse({ port: 'x' }).error!;
    const blamed = toInvalidConfig(error, 'admin', (path) => (path === 'admin.port' ? 'PRODUCTION_ADMIN_PORT' : undefined));
    expect(blamed).toBeInstanceOf(InvalidConfigError);
    expect(blamed.path).toBe('admin.port');
    expect(blamed.message).toMatch(/\(set by PRODUCTION_ADMIN_PORT\)$/);
    expect(toInvalidConfig(error, 'admin').message).not.toContain('set by');
  });

  it('alert rules go through the same conversion', () => {
    expect(() => parseAlertRule({ name: 'Hot', metric: 'm', aggregation: 'rate', threshold: 1 })).toThrow(
      expect.objectContaining({ path: 'alertRules.Hot.windowMs' }),
    );
    expect(() => parseAlertRule({ name: 'bad name', metric: 'm', threshold: 1 })).toThrow(
      expect.objectContaining({ path: 'alertRules.bad name.name' }),
    );
  });

  it("health's cross-field rules are in its schema, so the whole config is refused once, at the edge", () => {
    expect(() => resolveConfig({ healthChecks: { defaults: { warningThreshold: 5, criticalThreshold: 2 } } }, {})).toThrow(
      expect.objectContaining({ path: 'healthChecks.defaults.warningThreshold' }),
    );
    expect(() => resolveConfig({ healthChecks: { maxResultAgeMs: 10_000 } }, {})).toThrow(
      expect.objectContaining({ path: 'healthChecks.maxResultAgeMs' }),
    );
    expect(() => resolveConfig({ healthChecks: { memoryWarningRatio: 0.99, memoryCriticalRatio: 0.9 } }, {})).toThrow(
      expect.objectContaining({ path: 'healthChecks.memoryWarningRatio' }),
    );
    expect(() => resolveConfig({ healthChecks: { eventLoopDelayWarningMs: 500, eventLoopDelayCriticalMs: 100 } }, {})).toThrow(
      expect.objectContaining({ path: 'healthChecks.eventLoopDelayWarningMs' }),
    );
    // A variable can break a cross-field rule too: the error names the field the rule guards.
    expect(() => resolveConfig({}, { PRODUCTION_HEALTH_INTERVAL_MS: '120000' })).toThrow(
      expect.objectContaining({ path: 'healthChecks.maxResultAgeMs' }),
    );
  });
});
