/**
 * `@llmkg/production/config`: the configuration outside a call to `createProductionSystem`. Resolving it from
 * code, `PRODUCTION_*` variables and a config file; the file's reader and validation; the schema; the list of
 * variables and of the settings a reload applies. Its types are in the root entry.
 * `api/production-config.api.md` is the report of this surface. The types
 * its signatures share with the root entry are exported there (`@llmkg/production`), not again here.
 *
 * @module @llmkg/production/config
 */
export { resolveConfig, productionConfigSchema, ENV_SETTINGS, type EnvSetting, type ConfigLayers } from '../config.js';
export { readConfigFile, validateConfigFile } from '../config/file.js';
export { operationConfigSchema, type ConfigDeprecation } from '../config/operations.js';
export { RELOADABLE_PATHS } from '../config/apply.js';
export { resolveSources, type ResolvedSources } from '../create.js';
export { MAX_ID_LENGTH } from '../call-options.js';
