import { z } from 'zod';

/** Schema of one component's health-check settings (also the defaults for every component). */
export const componentCheckConfigSchema = z.strictObject({
  intervalMs: z.number().int().min(100).max(86_400_000).default(10_000),
  timeoutMs: z.number().int().min(1).max(600_000).default(5000),
  /** Consecutive failures that turn the component Warning. */
  warningThreshold: z.number().int().min(1).max(1000).default(1),
  /** Consecutive failures that turn the component Critical. */
  criticalThreshold: z.number().int().min(1).max(1000).default(3),
  /** Consecutive successes that bring it back to Healthy. */
  recoveryThreshold: z.number().int().min(1).max(1000).default(1),
});

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
  /** Directory whose free space and writability are checked; unset skips the storage check. */
  storagePath: z.string().optional(),
  storageMinFreeBytes: z.number().int().min(0).default(100 * 1024 * 1024),
  eventLoopDelayWarningMs: z.number().positive().default(200),
  eventLoopDelayCriticalMs: z.number().positive().default(1000),
});

/** Health-checks section of the production config. */
export type HealthCheckConfig = z.output<typeof healthCheckConfigSchema>;
