import type { z } from 'zod';
import { InvalidConfigError } from '../errors.js';

/**
 * Validation at the edge, for every component: a schema section parsed once, its first zod issue turned into
 * an INVALID_CONFIG error naming the field's dotted path. A leaf module: it knows zod and the errors, nothing
 * that uses it (the root config composes the components' schemas; the components import this, not the root).
 */

/**
 * Turns the first zod issue into an INVALID_CONFIG error naming the field's path under `prefix`. `blame`
 * names where the bad value came from (e.g. the `PRODUCTION_*` variable that set that path), if anywhere.
 */
export function toInvalidConfig(error: z.ZodError, prefix = '', blame?: (path: string) => string | undefined): InvalidConfigError {
  const issue = error.issues[0]!;
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(root)';
  const source = blame?.(path);
  return new InvalidConfigError(path, source === undefined ? issue.message : `${issue.message} (set by ${source})`);
}

/**
 * Parse options for a schema checked once (a config section at start-up, a saved state): without zod's
 * compiled fast path, which generates and compiles code per object schema on its first parse, a cost that
 * only many parses of the same schema pay back (it was a tenth of the preload's set-up time).
 */
export const PARSE_ONCE = { jitless: true } as const;

/** Validates one schema section, naming the path under `prefix` on failure (INVALID_CONFIG). */
export function parseSection<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.output<S> {
  const result = schema.safeParse(value, PARSE_ONCE);
  if (!result.success) throw toInvalidConfig(result.error, prefix);
  return result.data;
}
