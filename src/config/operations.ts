/**
 * One operation model: the `operations:` section, keyed by operation name, holds everything about an operation
 * (retry, breaker, timeout, bulkhead, rate limit, concurrency, criticality, dependency, retry budget), and
 * `defaults:` beside it holds what every operation gets. Each layer (file, code) is mapped onto the components'
 * own sections (`errorRecovery.defaults`, `rateLimiting.perOperation`, `overload.operations`) before the layers
 * merge, so precedence works field by field whichever form a layer used. The old forms still work for one
 * release, with a deprecation warning naming the new path.
 */
import { z } from 'zod';
import { rateLimiterConfigSchema } from '../limits/config.js';
import { adaptiveConcurrencySchema, criticalitySchema } from '../overload/config.js';
import { bulkheadConfigSchema, circuitBreakerConfigSchema, operationRecoveryConfigSchema, retryConfigSchema } from '../recovery/config.js';
import { operationNameSchema } from '../recovery/names.js';

/** Most entries the `operations` section may hold (each holds policies and labels metric series). */
export const MAX_CONFIGURED_OPERATIONS = 10_000;

type AnySchema = z.ZodType;

/** The schema without its default: a patch leaves unset fields to the layer beneath. */
function withoutDefault(schema: AnySchema): AnySchema {
  let inner: AnySchema = schema;
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodPrefault) inner = inner.unwrap() as AnySchema;
  return inner;
}

/** A strict object whose every field is optional and has no default (unlike `.partial()`, which keeps defaults). */
function patchOf<T extends z.ZodObject>(schema: T): z.ZodType<Partial<z.output<T>>, Partial<z.input<T>>> {
  const shape: Record<string, AnySchema> = {};
  for (const [key, field] of Object.entries(schema.shape)) shape[key] = withoutDefault(field as AnySchema).optional();
  return z.strictObject(shape) as unknown as z.ZodType<Partial<z.output<T>>, Partial<z.input<T>>>;
}

const recoveryShape = operationRecoveryConfigSchema.shape;

/** Fields of one operation that error recovery takes (the rest go to rate limiting and overload control). */
const recoveryFields = {
  retry: z.union([z.literal(false), patchOf(retryConfigSchema)]).optional(),
  circuitBreaker: z.union([z.literal(false), patchOf(circuitBreakerConfigSchema)]).optional(),
  /** Per-attempt timeout; 0 turns it off. */
  timeoutMs: z.number().int().min(0).max(86_400_000).optional(),
  bulkhead: z.union([z.literal(false), patchOf(bulkheadConfigSchema)]).optional(),
  /** Operations that must not run twice are never retried. */
  idempotent: z.boolean().optional(),
  /** Opt-in child span per attempt. */
  attemptSpans: z.boolean().optional(),
  dependency: recoveryShape.dependency,
  retryBudget: recoveryShape.retryBudget,
};

/** Schema of one entry of `operations:`; every field optional, merged over `defaults:` field by field. */
export const operationConfigSchema = z.strictObject({
  ...recoveryFields,
  /** A rate limit of this operation alone; null: none. */
  rateLimit: rateLimiterConfigSchema.nullable().optional(),
  /** An adaptive concurrency limit of this operation alone (false: none, not even the global one). */
  concurrency: z.union([z.literal(false), adaptiveConcurrencySchema]).optional(),
  /** The class of this operation's calls that name none. */
  criticality: criticalitySchema.optional(),
});

/** Schema of `defaults:`: the recovery policies of every operation, and the class of calls that name none. */
export const operationDefaultsSchema = z.strictObject({
  ...recoveryFields,
  /** Class of calls that name none (no option, no operation default, no baggage). */
  criticality: criticalitySchema.optional(),
});

/** Schema of the `operations:` section. */
export const operationsConfigSchema = z
  .record(operationNameSchema, operationConfigSchema)
  .refine((ops) => Object.keys(ops).length <= MAX_CONFIGURED_OPERATIONS, {
    message: `at most ${MAX_CONFIGURED_OPERATIONS} operations`,
  })
  .default({});

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const RECOVERY_KEYS = new Set(Object.keys(recoveryFields));

/** A deprecated section a layer used, and the path that replaces it. */
export interface ConfigDeprecation {
  /** The deprecated path, e.g. `rateLimiting.perOperation.search`. */
  readonly path: string;
  /** The path to write instead, e.g. `operations.search.rateLimit`. */
  readonly replacement: string;
}

/** The text of the deprecation warning of `d`. */
export function deprecationMessage(d: ConfigDeprecation): string {
  return `${d.path} is deprecated and will be removed in the next minor release: write ${d.replacement} instead`;
}

/**
 * Maps one layer's `defaults:` and `operations:` onto the components' sections (a copy; the input is not
 * changed). Entries of `operations` keep only their recovery fields. Values that are not objects are left where
 * they are, for the schema to name. Old sections the layer wrote itself are reported in `deprecations`.
 */
export function mapOperationModel(layer: Plain, deprecations?: ConfigDeprecation[]): Plain {
  const out: Plain = { ...layer };
  if (deprecations !== undefined) noteDeprecations(layer, deprecations);
  const defaults = layer.defaults;
  if (isPlain(defaults)) {
    const { criticality, ...recovery } = defaults;
    const errorRecovery = isPlain(out.errorRecovery) ? { ...out.errorRecovery } : {};
    errorRecovery.defaults = { ...(isPlain(errorRecovery.defaults) ? errorRecovery.defaults : {}), ...recovery };
    out.errorRecovery = errorRecovery;
    if (criticality !== undefined) out.overload = { ...(isPlain(out.overload) ? out.overload : {}), defaultCriticality: criticality };
    delete out.defaults;
  }
  const operations = layer.operations;
  if (isPlain(operations)) {
    const recoveryOnly: Plain = {};
    const rateLimits: Plain = {};
    const overloadOps: Plain = {};
    for (const [name, entry] of Object.entries(operations)) {
      if (!isPlain(entry)) {
        recoveryOnly[name] = entry;
        continue;
      }
      const { rateLimit, concurrency, criticality, ...rest } = entry;
      recoveryOnly[name] = rest;
      if (rateLimit !== undefined) rateLimits[name] = rateLimit;
      if (concurrency !== undefined || criticality !== undefined) {
        overloadOps[name] = Object.fromEntries(Object.entries({ concurrency, criticality }).filter(([, v]) => v !== undefined));
      }
    }
    out.operations = recoveryOnly;
    if (Object.keys(rateLimits).length > 0) {
      const rateLimiting = isPlain(out.rateLimiting) ? out.rateLimiting : {};
      out.rateLimiting = {
        ...rateLimiting,
        perOperation: { ...(isPlain(rateLimiting.perOperation) ? rateLimiting.perOperation : {}), ...rateLimits },
      };
    }
    if (Object.keys(overloadOps).length > 0) {
      const overload = isPlain(out.overload) ? out.overload : {};
      out.overload = { ...overload, operations: { ...(isPlain(overload.operations) ? overload.operations : {}), ...overloadOps } };
    }
  }
  return out;
}

function noteDeprecations(layer: Plain, out: ConfigDeprecation[]): void {
  const section = (value: unknown, key: string): Plain | undefined => (isPlain(value) && isPlain(value[key]) ? value[key] : undefined);
  for (const name of Object.keys(section(layer.rateLimiting, 'perOperation') ?? {})) {
    out.push({ path: `rateLimiting.perOperation.${name}`, replacement: `operations.${name}.rateLimit` });
  }
  for (const [name, entry] of Object.entries(section(layer.overload, 'operations') ?? {})) {
    for (const key of isPlain(entry) ? Object.keys(entry) : ['concurrency']) {
      out.push({ path: `overload.operations.${name}.${key}`, replacement: `operations.${name}.${key}` });
    }
  }
  for (const key of Object.keys(section(layer.errorRecovery, 'defaults') ?? {})) {
    if (RECOVERY_KEYS.has(key)) out.push({ path: `errorRecovery.defaults.${key}`, replacement: `defaults.${key}` });
  }
}
