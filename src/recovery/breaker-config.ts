import { z } from 'zod';
import { slowCallConfigSchema } from './slow-call/config.js';

/** Schema of {@link CircuitBreakerConfig}. */
export const circuitBreakerConfigSchema = z.strictObject({
  /** `consecutive`: open after `failureThreshold` failures in a row; `failure_rate`: open when the failure ratio over `samplingDurationMs` reaches `failureRateThreshold`. */
  mode: z.enum(['consecutive', 'failure_rate']).default('consecutive'),
  failureThreshold: z.number().int().min(1).max(1_000_000).default(5),
  failureRateThreshold: z.number().gt(0).lt(1).default(0.5),
  samplingDurationMs: z.number().int().min(1000).max(86_400_000).default(30_000),
  /** Calls per second needed before the failure rate counts (failure_rate mode). */
  minimumRps: z.number().positive().optional(),
  /** Time the breaker stays open before letting trial calls through. */
  recoveryTimeoutMs: z.number().int().min(1).max(86_400_000).default(30_000),
  /** Trial calls allowed at once while half-open; other callers get CIRCUIT_OPEN. */
  halfOpenMaxCalls: z.number().int().min(1).max(1000).default(1),
  /** Consecutive successful trial calls needed to close again. */
  successThreshold: z.number().int().min(1).max(1000).default(1),
  /** Which errors count as breaker failures; the default counts every error that is not the production layer's own. */
  failureOn: z.custom<(error: unknown) => boolean>((v) => typeof v === 'function', 'expected a function').optional(),
  /**
   * Share the state across replicas through the process's shared-state store (`rateLimiting.store`, Redis or
   * Redis Cluster): outcomes are counted locally and published every `publishIntervalMs`; the open decision
   * uses every replica's counts; one replica of the cluster at a time sends the half-open trial. With the
   * store away each replica falls back to its own breaker. See docs/shared-breaker.md.
   */
  shared: z.boolean().default(false),
  /** How often a shared breaker publishes its counts and reads the shared state (the time every replica takes to learn a change). */
  publishIntervalMs: z.number().int().min(20).max(60_000).default(1000),
  /** Also open on the share of slow calls, counting those still in flight past `thresholdMs`; held open `recoveryTimeoutMs`. */
  slowCall: slowCallConfigSchema.optional(),
});

/** Circuit breaker settings. */
export type CircuitBreakerConfig = z.output<typeof circuitBreakerConfigSchema>;
