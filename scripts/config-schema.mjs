// Writes dist/config.schema.json, the JSON Schema of the configuration file, from the zod schemas of the build
// (zod 4's toJSONSchema, input side: what a user writes, defaults shown). Settings that are functions (retryOn,
// failureOn, retryAfterMs, accepted) cannot be written in a file: the schema refuses any value there, as the
// file's validation does. `$schema` is allowed at the top, so a JSON file can name this schema for its editor.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The JSON Schema of the configuration file, from `dist/cjs` (built first). */
export function configJsonSchema() {
  const { z } = require('zod');
  const { productionConfigSchema } = require('../dist/cjs/entries/config.js');
  const schema = z.toJSONSchema(productionConfigSchema, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
    override(ctx) {
      if (ctx.zodSchema._zod.def.type === 'custom') {
        for (const key of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[key];
        ctx.jsonSchema.not = {};
        ctx.jsonSchema.description = 'code-only (a function): set it in the config passed to createProductionSystem';
      }
    },
  });
  schema.title = '@llmkg/production configuration file';
  schema.description = 'PRODUCTION_CONFIG_FILE: the whole configuration (defaults < file < environment < code). See docs/configuration.md.';
  schema.properties = { $schema: { type: 'string' }, ...schema.properties };
  return schema;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync('dist/config.schema.json', JSON.stringify(configJsonSchema(), null, 2) + '\n');
}
