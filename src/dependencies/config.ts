import { z } from 'zod';
import { retryBudgetConfigSchema } from '../recovery/retry-budget.js';

/** Most named dependencies a config may declare (each one holds state and labels metric series). */
export const MAX_DEPENDENCIES = 256;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A dependency's name: 1 to 128 printable characters (it becomes the `production.dependency` attribute). */
export const dependencyNameSchema = z
  .string()
  .min(1)
  .max(128)
  .refine((name) => !CONTROL.test(name), 'must not contain control characters');

/** Schema of {@link DependencyConfig}. */
export const dependencyConfigSchema = z.strictObject({
  /** A retry budget shared by every operation that names this dependency; `false` turns it off. */
  retryBudget: z.union([z.literal(false), retryBudgetConfigSchema]).optional(),
});

/** What one named dependency (a downstream service several operations call) shares between them. */
export type DependencyConfig = z.output<typeof dependencyConfigSchema>;

/** Schema of the `dependencies` section: settings per dependency name. */
export const dependenciesConfigSchema = z
  .record(dependencyNameSchema, dependencyConfigSchema)
  .refine((deps) => Object.keys(deps).length <= MAX_DEPENDENCIES, `at most ${MAX_DEPENDENCIES} dependencies`)
  .default({});

/** The `dependencies` section. */
export type DependenciesConfig = z.output<typeof dependenciesConfigSchema>;
