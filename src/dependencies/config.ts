import { z } from 'zod';
import { InvalidConfigError } from '../errors.js';
import { parseSection } from '../internal/validation.js';
import { circuitBreakerConfigSchema } from '../recovery/breaker-config.js';
import { retryBudgetConfigSchema } from '../recovery/retry-budget.js';

/** Most named dependencies a config may declare (each one holds state and labels metric series). */
export const MAX_DEPENDENCIES = 256;

/** Schema of a dependency name: 1 to 128 safe characters, like an operation name (it becomes `production.dependency`). */
export const dependencyNameSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:/-]+$/, 'expected 1 to 128 of A-Z a-z 0-9 _ . : / -');

/** Schema of {@link ThrottleConfig}: client-side adaptive throttling (Google SRE book, "Handling Overload"). */
export const throttleConfigSchema = z.strictObject({
  /** Accepts multiplier: calls are refused locally with probability max(0, (requests - k x accepts) / (requests + 1)). */
  k: z.number().min(1).max(100).default(2),
  /** Window over which requests and accepts are counted. */
  windowMs: z.number().int().min(1000).max(3_600_000).default(120_000),
  /** Buckets of the sliding window (its resolution). */
  buckets: z.number().int().min(2).max(3600).default(60),
  /**
   * Whether a finished call counts as accepted by the dependency. Default: it succeeded, or failed with an
   * error that is not an overload refusal (HTTP 429 or 503, OVERLOADED, RATE_LIMITED, THROTTLED).
   */
  accepted: z.custom<(error: unknown) => boolean>((v) => typeof v === 'function', 'expected a function').optional(),
});

/** Client-side throttling settings, defaults filled in. */
export type ThrottleConfig = z.output<typeof throttleConfigSchema>;

/** Client-side throttling settings as callers write them. */
export type ThrottleConfigInput = z.input<typeof throttleConfigSchema>;

/** Schema of {@link DependencyConfig}. */
export const dependencyConfigSchema = z.strictObject({
  /** A retry budget shared by every operation that names this dependency; `false` turns it off. */
  retryBudget: z.union([z.literal(false), retryBudgetConfigSchema]).optional(),
  /** Client-side adaptive throttling of calls to it; false or absent for none. */
  throttle: z.union([z.literal(false), throttleConfigSchema]).optional(),
  /**
   * The circuit breaker of every operation that names this dependency, in place of their own; with
   * `shared: true` they all share one state, keyed by the dependency's name, across operations and replicas.
   * False or absent: each operation keeps its own.
   */
  circuitBreaker: z.union([z.literal(false), circuitBreakerConfigSchema]).optional(),
});

/** What one named dependency (a downstream service several operations call) shares between them, defaults filled in. */
export type DependencyConfig = z.output<typeof dependencyConfigSchema>;

/** Schema of the `dependencies` section: settings per dependency name. */
export const dependenciesConfigSchema = z
  .record(dependencyNameSchema, dependencyConfigSchema)
  .refine((deps) => Object.keys(deps).length <= MAX_DEPENDENCIES, { message: `at most ${MAX_DEPENDENCIES} dependencies` })
  .default({});

/** The `dependencies` section, defaults filled in. */
export type DependenciesConfig = z.output<typeof dependenciesConfigSchema>;

/** The `dependencies` section as callers write it. */
export type DependenciesConfigInput = z.input<typeof dependenciesConfigSchema>;

/** The `dependencies` section as callers write it, one entry. */
export type DependencyConfigInput = z.input<typeof dependencyConfigSchema>;

/**
 * The INVALID_CONFIG for an operation that names a dependency the `dependencies` section does not declare
 * (a misspelt name would otherwise run with no budget and no throttle, silently).
 */
export function undeclaredDependency(path: string, name: string, known: readonly string[]): InvalidConfigError {
  const list = known.length === 0 ? 'none is declared' : `declared: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', ...' : ''}`;
  return new InvalidConfigError(
    path,
    `names dependency "${name}", which is not declared in \`dependencies\` (${list}); declare it there or with configureDependency()`,
  );
}

/** Validates one dependency's name and settings (`configureDependency`); INVALID_CONFIG names `dependencies.<name>.<field>`. */
export function parseDependency(name: string, config: DependencyConfigInput): DependencyConfig {
  parseSection(dependencyNameSchema, name, 'dependencies');
  return parseSection(dependencyConfigSchema, config, `dependencies.${name}`);
}

/** The INVALID_CONFIG for one dependency more than {@link MAX_DEPENDENCIES}. */
export function tooManyDependencies(): InvalidConfigError {
  return new InvalidConfigError('dependencies', `at most ${MAX_DEPENDENCIES} dependencies`);
}
