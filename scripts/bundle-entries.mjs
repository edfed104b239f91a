// Bundles the public entry points (`.`, the task entries `./<name>` of scripts/entries.mjs, `./sdk`, `./register`) of the emitted dist/esm into dist/esm and
// dist/cjs, with the modules they share in common chunks (one copy of each class for all entries, as
// before). Start-up pays per module it loads (resolve, read, compile): the preload loaded some 140 of our files,
// and loads a handful of chunks now. Dependencies stay external (one copy in the user's tree, the application's
// `@opentelemetry/api`), and so do the modules loaded only when configured (OTLP exporters, the Node SDK,
// ioredis): they are required by name at run time. The per-file modules tsc emitted stay beside the bundle for
// the declarations (the API reports read those) and for the repository's tests and benches that import one
// module; the package's exports map reaches only the entries.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { build } from 'rolldown';
import { TASK_ENTRIES } from './entries.mjs';

const ENTRIES = ['index', ...TASK_ENTRIES.map((name) => `entries/${name}`), 'sdk/index', 'register/index'];
/**
 * Dependencies compiled into the bundle (tree-shaken, from their ES-module builds) instead of required, each
 * with its MIT notice on the chunks that hold its code:
 * - cockatiel is internal (no type or object of it crosses our public API), and its index loads every policy,
 *   28 modules, for the three we use;
 * - zod's index loads 95 modules, every locale among them, which was a fifth of the preload's time; compiled
 *   in, only what our schemas use is loaded. zod stays a dependency: our declarations (the exported schemas'
 *   types) import it. Its schemas work across copies (zod matches them by trait, not by class), so an
 *   application's own zod can compose, extend and parse the schemas we export.
 */
const INLINED = {
  cockatiel: 'Copyright (c) 2019 Connor Peet',
  zod: 'Copyright (c) 2025 Colin McDonnell',
};
const notice = (name) => {
  const { version } = JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8'));
  return `/*! ${name} ${version} (bundled) | MIT License | ${INLINED[name]} */`;
};
const CHUNKS = 'chunks';

const ENTRY_FILES = new Set(ENTRIES.map((name) => resolve(`dist/esm/${name}.js`)));
/** A module of the shared chunk: not an entry's own file, not one only the preload loads. */
const inCore = (id) => !ENTRY_FILES.has(id) && !/[\\/]dist[\\/]esm[\\/](register|sdk[\\/]preload)[\\/]/.test(id);

/** Hands the bundler each emitted module with tsc's source map, so the bundle's maps lead to src/*.ts. */
const withSourceMaps = {
  name: 'tsc-source-maps',
  load(id) {
    if (!id.endsWith('.js') || !existsSync(`${id}.map`)) return null;
    const code = readFileSync(id, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
    return { code, map: readFileSync(`${id}.map`, 'utf8') };
  },
};

/** Bundles dist/esm's entries into `dist/<format>` for both formats (run after tsc and the status-page inlining). */
export async function bundleEntries() {
  for (const format of ['esm', 'cjs']) {
    const dir = `dist/${format}/${CHUNKS}`;
    if (existsSync(dir)) rmSync(dir, { recursive: true });
  }
  const input = Object.fromEntries(ENTRIES.map((name) => [name, `dist/esm/${name}.js`]));
  // Both formats are built before either is written: the ES-module output replaces the files the input reads.
  const outputs = [];
  for (const format of ['esm', 'cjs']) {
    const bundle = await build({
      input,
      platform: 'node',
      // Packages and Node's built-ins are required by name; only our own relative imports are bundled.
      external: (id) => !id.startsWith('.') && !isAbsolute(id) && !(id in INLINED),
      // An inlined package's ES-module build, so what we do not use is left out.
      resolve: { mainFields: ['module', 'main'] },
      plugins: [withSourceMaps],
      logLevel: 'warn',
      write: false,
      output: {
        format,
        dir: `dist/${format}`,
        entryFileNames: '[name].js',
        chunkFileNames: `${CHUNKS}/[name]-[hash].js`,
        // One chunk for the code the entries share: the task entries re-export parts of what the root loads
        // anyway, and split by which entries use them the modules would be some 25 chunks, each a file to load.
        // The preload's own modules stay in its entry.
        codeSplitting: { groups: [{ name: 'core', test: (id) => inCore(id) }] },
        sourcemap: true,
        // Keep the emitted code readable (stack traces name our functions) and the exports' names as they are.
        minify: false,
        banner: (chunk) =>
          Object.entries(INLINED)
            .filter(([name]) => chunk.moduleIds.some((id) => id.includes(`/node_modules/${name}/`)))
            .map(([name]) => notice(name))
            .join('\n'),
      },
    });
    outputs.push({ format, bundle });
  }
  for (const { format, bundle } of outputs) {
    for (const file of bundle.output) {
      const target = join('dist', format, file.fileName);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, file.type === 'chunk' ? file.code : file.source);
    }
  }
  for (const format of ['esm', 'cjs']) {
    const chunks = readdirSync(`dist/${format}/${CHUNKS}`).filter((f) => f.endsWith('.js'));
    if (chunks.length === 0) throw new Error(`dist/${format}/${CHUNKS}: the bundle wrote no chunk`);
  }
}
