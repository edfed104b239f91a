import { z } from 'zod';

const componentFields = {
  intervalMs: z.number().int().min(100).max(86_400_000),
  timeoutMs: z.number().int().min(1).max(600_000),
  warningThreshold: z.number().int().min(1).max(1000),
  criticalThreshold: z.number().int().min(1).max(1000),
  recoveryThreshold: z.number().int().min(1).max(1000),
};

/** Schema of one component's health-check settings (also the defaults for every component). */
export const componentCheckConfigSchema = z.strictObject({
  intervalMs: componentFields.intervalMs.default(10_000),
  timeoutMs: componentFields.timeoutMs.default(5000),
  /** Consecutive failures that turn the component Warning. */
  warningThreshold: componentFields.warningThreshold.default(1),
  /** Consecutive failures that turn the component Critical. */
  criticalThreshold: componentFields.criticalThreshold.default(3),
  /** Consecutive successes that bring it back to Healthy. */
  recoveryThreshold: componentFields.recoveryThreshold.default(1),
});

/** Schema of one component's overrides: the same fields, none filled in (the defaults apply beneath). */
export const componentCheckOverridesSchema = z.strictObject(componentFields).partial();

/** One component's health-check settings. */
export type ComponentCheckConfig = z.output<typeof componentCheckConfigSchema>;

/** Schema of the health-checks section. */
export const healthCheckConfigSchema = z.strictObject({
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
  storageMinFreeBytes: z.number().int().min(0).default(100 * 1024 * 1024),
  eventLoopDelayWarningMs: z.number().positive().default(200),
  eventLoopDelayCriticalMs: z.number().positive().default(1000),
  /** Per-component overrides of `defaults`, keyed by component name (built-ins: engine, memory, storage, ...). */
  components: z.record(z.string().min(1).max(128), componentCheckOverridesSchema).default({}),
});

/** Health-checks section of the production config. */
export type HealthCheckConfig = z.output<typeof healthCheckConfigSchema>;

/** What callers may pass for the health-checks section: every field optional. */
export type HealthCheckConfigInput = z.input<typeof healthCheckConfigSchema>;

/** What `registerComponent` accepts: any subset of a component's settings, merged over the defaults. */
export type ComponentCheckConfigInput = z.input<typeof componentCheckOverridesSchema>;
