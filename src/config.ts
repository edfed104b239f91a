import { z } from 'zod';
import { InvalidConfigError } from './errors.js';
import { closestName, MAX_SPELLING_DISTANCE } from './internal/spelling.js';
import { PARSE_ONCE, toInvalidConfig } from './internal/validation.js';
import { deadlinesConfigSchema } from './deadlines/config.js';
import { dependenciesConfigSchema } from './dependencies/config.js';
import { adminServerConfigSchema } from './http/config.js';
import { healthCheckConfigSchema } from './health/config.js';
import { rateLimitConfigSchema, resourceLimitsSchema } from './limits/config.js';
import { monitoringConfigSchema } from './monitoring/config.js';
export { ENV_SETTINGS, type EnvSetting } from './config/env-settings.js';
import { errorRecoveryConfigSchema, type operationRecoveryConfigSchema } from './recovery/config.js';
import { shutdownConfigSchema } from './shutdown/config.js';
import { overloadConfigSchema, type OperationOverloadInput } from './overload/config.js';
import { mapOperationModel, operationDefaultsSchema, operationsConfigSchema, type ConfigDeprecation } from './config/operations.js';
import { ENV_SETTINGS } from './config/env-settings.js';

/** Schema of {@link ProductionConfig}: the seed's sections plus recovery defaults and the admin server. */
export const productionConfigSchema = z.strictObject({
  monitoring: monitoringConfigSchema.prefault({}),
  rateLimiting: rateLimitConfigSchema.prefault({}),
  resourceLimits: resourceLimitsSchema.prefault({}),
  healthChecks: healthCheckConfigSchema.prefault({}),
  shutdown: shutdownConfigSchema.prefault({}),
  errorRecoveryEnabled: z.boolean().default(true),
  errorRecovery: errorRecoveryConfigSchema.prefault({}),
  /** Named dependencies (downstream services): the retry budget and the client-side throttle their operations share. */
  dependencies: dependenciesConfigSchema,
  /** Deadlines that travel with calls: the margin kept back, the cap on incoming ones. */
  deadlines: deadlinesConfigSchema.prefault({}),
  admin: adminServerConfigSchema.prefault({}),
  overload: overloadConfigSchema.prefault({}),
  /** Everything about each operation, keyed by name: retry, breaker, timeout, bulkhead, rate limit, concurrency, criticality, dependency, retry budget. */
  operations: operationsConfigSchema,
  /** What every operation gets unless its `operations` entry says otherwise (mapped onto `errorRecovery.defaults`). */
  defaults: operationDefaultsSchema.optional(),
});

/** The whole production configuration, with every default filled in. */
export type ProductionConfig = z.output<typeof productionConfigSchema>;

/** What callers pass: every field optional, defaults fill the rest. */
export type ProductionConfigInput = z.input<typeof productionConfigSchema>;

/** What `configureOperation` accepts: every field optional, merged over the defaults. */
export type OperationConfigInput = z.input<typeof operationRecoveryConfigSchema> & {
  /** A rate limit for this operation alone. */
  rateLimit?: z.input<typeof rateLimitConfigSchema>['global'];
  /** An adaptive concurrency limit for this operation alone (false: none, not even the global one). */
  concurrency?: OperationOverloadInput['concurrency'];
  /** The class of this operation's calls that name none. */
  criticality?: OperationOverloadInput['criticality'];
};

type Plain = Record<string, unknown>;

function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

function setPath(target: Plain, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as Plain;
  }
  node[keys[keys.length - 1]!] = value;
}

/** Deep merge where `over` wins; arrays and non-plain values replace. */
export function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? deepMerge(out[key], value) : value;
  }
  return out;
}

/** Reads the `PRODUCTION_*` variables into a partial config; a bad value throws INVALID_CONFIG naming it. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Plain {
  const out: Plain = {};
  for (const setting of ENV_SETTINGS) {
    const raw = env[setting.name];
    if (raw === undefined || raw === '') continue;
    try {
      setPath(out, setting.path, setting.parse(raw));
    } catch (error) {
      throw new InvalidConfigError(`env.${setting.name}`, (error as Error).message);
    }
  }
  return out;
}

/** The `PRODUCTION_*` variable that set `path` (or a section holding it), if one is set in `env`. */
function envNameForPath(path: string, env: NodeJS.ProcessEnv): string | undefined {
  return ENV_SETTINGS.find((s) => (path === s.path || path.startsWith(`${s.path}.`)) && env[s.name] !== undefined && env[s.name] !== '')
    ?.name;
}

/** `PRODUCTION_*` variables read outside {@link ENV_SETTINGS} (not config fields, so not in the table). */
const OTHER_PRODUCTION_VARIABLES: readonly string[] = ['PRODUCTION_CONFIG_FILE', 'PRODUCTION_HTTP_SERVER_INSTRUMENTATION'];

/** A `PRODUCTION_*` variable that is set but is no setting, and the known name it most likely meant. */
export interface MisspelledVariable {
  /** The variable as set. */
  readonly name: string;
  /** The closest known variable name. */
  readonly closest: string;
}

/**
 * The `PRODUCTION_*` variables of `env` that are no setting but lie within a few edits of one (a typo that
 * would otherwise be ignored in silence). Variables far from every known name are taken to be the
 * application's own and left alone.
 */
export function misspelledEnvVariables(env: NodeJS.ProcessEnv = process.env): MisspelledVariable[] {
  const known = [...ENV_SETTINGS.map((s) => s.name), ...OTHER_PRODUCTION_VARIABLES];
  const out: MisspelledVariable[] = [];
  for (const name of Object.keys(env)) {
    if (!name.startsWith('PRODUCTION_') || known.includes(name)) continue;
    const closest = closestName(name, known, MAX_SPELLING_DISTANCE);
    if (closest !== undefined) out.push({ name, closest });
  }
  return out;
}

/** Layers beneath the environment and the code's config (see {@link resolveConfig}). */
export interface ConfigLayers {
  /** The configuration file's values (already validated on their own, so errors there name the file's line). */
  readonly file?: Readonly<Record<string, unknown>>;
  /** Collects the deprecated sections the file and the code used (each names its replacement). */
  readonly deprecations?: ConfigDeprecation[];
}

/**
 * Validates a config once, at the edge: defaults, then the configuration file (`layers.file`), then
 * `PRODUCTION_*` variables, then `input` (code wins, as in the OTel SDK). Throws {@link InvalidConfigError} naming the bad field's path.
 */
export function resolveConfig(
  input: ProductionConfigInput = {},
  env: NodeJS.ProcessEnv = process.env,
  layers: ConfigLayers = {},
): ProductionConfig {
  if (!isPlainObject(input)) throw new InvalidConfigError('(root)', 'config must be a plain object');
  const fromEnv = configFromEnv(env);
  // Each layer's `operations:`/`defaults:` is mapped onto the sections beneath before they merge, so a field set
  // in one form by the file and in the other by code still resolves by precedence.
  const file = layers.file === undefined ? {} : mapOperationModel({ ...layers.file }, layers.deprecations);
  const merged = deepMerge(deepMerge(file, mapOperationModel(fromEnv)), mapOperationModel(input, layers.deprecations));
  const result = productionConfigSchema.safeParse(merged, PARSE_ONCE);
  if (!result.success) {
    // Blame a variable only when one set the bad field's section and the code did not set the field itself;
    // otherwise the error names the field, which the code (or a default) gave.
    throw toInvalidConfig(result.error, '', (bad) => (hasPath(input, bad) ? undefined : envNameForPath(bad, env)));
  }
  return result.data;
}

function hasPath(obj: Plain, path: string): boolean {
  let node: unknown = obj;
  for (const key of path.split('.')) {
    if (!isPlainObject(node) || !(key in node)) return false;
    node = node[key];
  }
  return true;
}
