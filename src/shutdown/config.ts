import { z } from 'zod';

/** Schema of the shutdown section. */
export const shutdownConfigSchema = z.strictObject({
  /** Deadline of the whole graceful shutdown; past it the rest is forced. */
  gracefulTimeoutMs: z.number().int().min(1).max(3_600_000).default(30_000),
  /** Time `/readyz` already says 503 while requests are still served (Kubernetes endpoint removal lag). */
  preStopDelayMs: z.number().int().min(0).max(600_000).default(0),
  stopAcceptingTimeoutMs: z.number().int().min(1).max(3_600_000).default(5000),
  drainTimeoutMs: z.number().int().min(1).max(3_600_000).default(20_000),
  saveStateTimeoutMs: z.number().int().min(1).max(3_600_000).default(5000),
  cleanupTimeoutMs: z.number().int().min(1).max(3_600_000).default(5000),
  /** Bound on the telemetry flush, also when forced. */
  telemetryFlushTimeoutMs: z.number().int().min(1).max(600_000).default(5000),
  /** Default timeout of one handler step. */
  handlerTimeoutMs: z.number().int().min(1).max(3_600_000).default(5000),
  /** Where checkpoints are written at SaveState; unset keeps none. */
  checkpointDir: z.string().optional(),
  signals: z.array(z.enum(['SIGTERM', 'SIGINT', 'SIGHUP'])).default(['SIGTERM', 'SIGINT']),
  /** Exit the process after a signal-initiated shutdown (0 clean, `forcedExitCode` forced). */
  exitProcess: z.boolean().default(true),
  forcedExitCode: z.number().int().min(1).max(255).default(1),
  /** Start a shutdown on an uncaught exception / unhandled rejection (else they are logged and counted). */
  shutdownOnUncaughtError: z.boolean().default(false),
});

/** Graceful-shutdown section of the production config. */
export type ShutdownConfig = z.output<typeof shutdownConfigSchema>;
