import { z } from 'zod';
import { dependencyNameSchema } from '../dependencies/config.js';
import { retryBudgetConfigSchema } from './retry-budget.js';
import { hedgingConfigSchema } from './hedging/config.js';
import { circuitBreakerConfigSchema } from './breaker-config.js';

export { circuitBreakerConfigSchema, type CircuitBreakerConfig } from './breaker-config.js';

/** Schema of {@link RetryConfig}. */
export const retryConfigSchema = z.strictObject({
  /** Retries after the first attempt; 0 disables retrying. */
  maxRetries: z.number().int().min(0).max(100).default(3),
  /** Delay before the first retry. */
  baseDelayMs: z.number().min(0).max(3_600_000).default(100),
  /** Cap on any single delay. */
  maxDelayMs: z.number().min(0).max(3_600_000).default(10_000),
  /** Growth of the delay per retry. */
  backoffMultiplier: z.number().min(1).max(100).default(2),
  /** Fraction of the delay randomised (+/-), to spread retries of many callers. */
  jitterFactor: z.number().min(0).max(1).default(0.1),
  /** Which errors are worth retrying; the default retries every error that is not the production layer's own. */
  retryOn: z.custom<(error: unknown) => boolean>((v) => typeof v === 'function', 'expected a function').optional(),
  /**
   * How long the failed call's error asks to wait, in ms, or undefined. The backoff waits at least that
   * long; a wait past `maxDelayMs` or past the call's deadline means no retry. The default
   * (`defaultRetryAfterMs`) reads an error's `retryAfterMs` field and an HTTP `Retry-After` header of its
   * `response` (or its own `headers`).
   */
  retryAfterMs: z.custom<(error: unknown) => number | undefined>((v) => typeof v === 'function', 'expected a function').optional(),
});

/** Retry with exponential backoff and jitter. */
export type RetryConfig = z.output<typeof retryConfigSchema>;

/** Schema of {@link BulkheadConfig}. */
export const bulkheadConfigSchema = z.strictObject({
  maxConcurrent: z.number().int().min(1).max(1_000_000).default(100),
  maxQueue: z.number().int().min(0).max(1_000_000).default(0),
});

/** Concurrency limit of one operation, with an optional bounded queue. */
export type BulkheadConfig = z.output<typeof bulkheadConfigSchema>;

/** Schema of {@link OperationRecoveryConfig}. `false` turns a policy off. */
export const operationRecoveryConfigSchema = z.strictObject({
  retry: z.union([z.literal(false), retryConfigSchema]).prefault({}),
  circuitBreaker: z.union([z.literal(false), circuitBreakerConfigSchema]).prefault({}),
  /** Per-attempt timeout; 0 turns it off. On expiry the attempt's `ctx.signal` aborts. */
  timeoutMs: z.number().int().min(0).max(86_400_000).default(30_000),
  bulkhead: z.union([z.literal(false), bulkheadConfigSchema]).default(false),
  /** Hedging of the first attempt (idempotent operations only), under the retry budget; `false`: none. */
  hedging: z.union([z.literal(false), hedgingConfigSchema]).default(false),
  /** Operations that must not run twice (writes without idempotency keys) are never retried. */
  idempotent: z.boolean().default(true),
  /** Opt-in child span per attempt. */
  attemptSpans: z.boolean().default(false),
  /** The named dependency (see the `dependencies` section) this operation calls: its retry budget and client-side throttle apply. */
  dependency: dependencyNameSchema.optional(),
  /** A retry budget of this operation alone, used when its dependency has none; `false` (or unset): none. */
  retryBudget: z.union([z.literal(false), retryBudgetConfigSchema]).optional(),
});

/** The recovery policies of one operation. */
export type OperationRecoveryConfig = z.output<typeof operationRecoveryConfigSchema>;

/** Schema of the error-recovery section. */
export const errorRecoveryConfigSchema = z.strictObject({
  /** Policies of every operation not configured otherwise. */
  defaults: operationRecoveryConfigSchema.prefault({}),
  /** Cap on distinct operation names; past it a new name is refused with INVALID_CONFIG. */
  maxOperations: z.number().int().min(1).max(100_000).default(1000),
  /** Recent durations kept per operation for its p99. */
  latencySamples: z.number().int().min(16).max(65_536).default(1024),
});

/** Error-recovery section of the production config. */
export type ErrorRecoveryConfig = z.output<typeof errorRecoveryConfigSchema>;
