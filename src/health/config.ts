import { z } from 'zod';

const componentFields = {
  intervalMs: z.number().int().min(100).max(86_400_000),
  timeoutMs: z.number().int().min(1).max(600_000),
  warningThreshold: z.number().int().min(1).max(1000),
  criticalThreshold: z.number().int().min(1).max(1000),
  recoveryThreshold: z.number().int().min(1).max(1000),
};

/** A component's settings must let a fresh result exist: warning before critical, a run within the result's age. */
function refineComponent(
  c: { warningThreshold: number; criticalThreshold: number; intervalMs: number; timeoutMs: number },
  maxResultAgeMs: number | undefined,
  ctx: z.RefinementCtx,
): void {
  if (c.warningThreshold > c.criticalThreshold) {
    ctx.addIssue({ code: 'custom', path: ['warningThreshold'], message: `must not exceed criticalThreshold (${c.criticalThreshold})` });
  }
  const worstAge = c.intervalMs + c.timeoutMs;
  if (maxResultAgeMs !== undefined && worstAge > maxResultAgeMs) {
    ctx.addIssue({
      code: 'custom',
      path: ['intervalMs'],
      message: `intervalMs + timeoutMs (${worstAge} ms) exceeds healthChecks.maxResultAgeMs (${maxResultAgeMs} ms), so every result would read as stale`,
    });
  }
}

const componentCheckFields = {
  intervalMs: componentFields.intervalMs.default(10_000),
  timeoutMs: componentFields.timeoutMs.default(5000),
  /** Consecutive failures that turn the component Warning. */
  warningThreshold: componentFields.warningThreshold.default(1),
  /** Consecutive failures that turn the component Critical. */
  criticalThreshold: componentFields.criticalThreshold.default(3),
  /** Consecutive successes that bring it back to Healthy. */
  recoveryThreshold: componentFields.recoveryThreshold.default(1),
};

/** Schema of one component's health-check settings (also the defaults for every component). */
export const componentCheckConfigSchema = z.strictObject(componentCheckFields).superRefine((c, ctx) => refineComponent(c, undefined, ctx));

/**
 * Schema of one registered component's settings in a system whose results go stale after `maxResultAgeMs`:
 * besides the fields, its interval plus timeout must fit in that age, or every result would read as stale.
 */
export function componentSettingsSchema(maxResultAgeMs: number) {
  return z.strictObject(componentCheckFields).superRefine((c, ctx) => refineComponent(c, maxResultAgeMs, ctx));
}

/** Schema of one component's overrides: the same fields, none filled in (the defaults apply beneath). */
export const componentCheckOverridesSchema = z.strictObject(componentFields).partial();

/** One component's health-check settings. */
export type ComponentCheckConfig = z.output<typeof componentCheckConfigSchema>;

/** Schema of the health-checks section. */
export const healthCheckConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    defaults: componentCheckConfigSchema.prefault({}),
    /** A result older than this counts as Unknown on the probe endpoints. */
    maxResultAgeMs: z.number().int().min(100).max(86_400_000).default(60_000),
    /** Heap or RSS fraction of `memoryLimitBytes` (else of the heap limit) that is Warning / Critical. */
    memoryWarningRatio: z.number().gt(0).max(1).default(0.85),
    memoryCriticalRatio: z.number().gt(0).max(1).default(0.95),
    /** Memory the process may use (e.g. the container limit); RSS is compared with it. Unset: only the heap is. */
    memoryLimitBytes: z.number().int().positive().optional(),
    /** Directory whose free space and writability are checked; unset skips the storage check. */
    storagePath: z.string().optional(),
    storageMinFreeBytes: z
      .number()
      .int()
      .min(0)
      .default(100 * 1024 * 1024),
    eventLoopDelayWarningMs: z.number().positive().default(200),
    eventLoopDelayCriticalMs: z.number().positive().default(1000),
    /** Per-component overrides of `defaults`, keyed by component name (built-ins: engine, memory, storage, ...). */
    components: z.record(z.string().min(1).max(128), componentCheckOverridesSchema).default({}),
  })
  .superRefine((c, ctx) => {
    const d = c.defaults;
    if (d.intervalMs + d.timeoutMs > c.maxResultAgeMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxResultAgeMs'],
        message: `must be at least defaults.intervalMs + defaults.timeoutMs (${d.intervalMs + d.timeoutMs} ms), else every result would read as stale`,
      });
    }
    if (c.memoryWarningRatio > c.memoryCriticalRatio) {
      ctx.addIssue({
        code: 'custom',
        path: ['memoryWarningRatio'],
        message: `must not exceed memoryCriticalRatio (${c.memoryCriticalRatio})`,
      });
    }
    if (c.eventLoopDelayWarningMs > c.eventLoopDelayCriticalMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['eventLoopDelayWarningMs'],
        message: `must not exceed eventLoopDelayCriticalMs (${c.eventLoopDelayCriticalMs})`,
      });
    }
  });

/** Health-checks section of the production config. */
export type HealthCheckConfig = z.output<typeof healthCheckConfigSchema>;

/** What callers may pass for the health-checks section: every field optional. */
export type HealthCheckConfigInput = z.input<typeof healthCheckConfigSchema>;

/** What `registerComponent` accepts: any subset of a component's settings, merged over the defaults. */
export type ComponentCheckConfigInput = z.input<typeof componentCheckOverridesSchema>;
