import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBuild, ROOT } from '../support/helpers.js';

// A consumer project as a user gets it: the package packed with `npm pack`, installed from the tarball with
// `npm install` (from the local npm cache where it can), next to the packages a user's service brings.

interface PackageJson {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** Our package.json. */
export const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;

// Under `npm test`, npm_config_* describe this repository (local prefix, scripts); the consumer must not see them.
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('npm_') || /^npm_config_(cache|registry|userconfig)$/.test(key)) env[key] = value;
  }
  return env;
}

/** Runs npm in `cwd`; throws with npm's output when it fails. */
export function npm(args: string[], cwd: string): string {
  try {
    return execFileSync('npm', args, {
      cwd,
      env: npmEnv(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`npm ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** Packs the built package into a new temp folder; returns the tarball's path. */
export function packPackage(): string {
  requireBuild('dist/cjs/index.js', 'dist/esm/register/index.js');
  const out = mkdtempSync(join(tmpdir(), 'production-pack-'));
  const [packed] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', out], ROOT)) as [{ filename: string }];
  return join(out, packed.filename);
}

/**
 * A new project in a temp folder with `dependencies` (our tarball among them) installed; prefers the local
 * npm cache, and asks the registry only for what the cache lacks.
 */
export function installProject(dependencies: Record<string, string>, prefix = 'production-packed-consumer-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies }, null, 2));
  npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], dir);
  return dir;
}

/** Every installed copy of each `@opentelemetry/*` package: name to the folders holding one, found on disk. */
export function otelCopies(dir: string): Map<string, string[]> {
  const copies = new Map<string, string[]>();
  const visit = (modules: string) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      const scoped = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((name) => `${entry}/${name}`) : [entry];
      for (const name of scoped) {
        const folder = join(modules, name);
        if (!existsSync(join(folder, 'package.json'))) continue;
        if (name.startsWith('@opentelemetry/')) copies.set(name, [...(copies.get(name) ?? []), folder]);
        visit(join(folder, 'node_modules'));
      }
    }
  };
  visit(join(dir, 'node_modules'));
  return copies;
}

/** Each `@opentelemetry/*` package in `npm ls --all` with the versions it appears at. */
export function otelVersionsInTree(dir: string): Map<string, Set<string>> {
  interface Node {
    version?: string;
    dependencies?: Record<string, Node>;
  }
  const tree = JSON.parse(npm(['ls', '--all', '--json'], dir)) as Node;
  const versions = new Map<string, Set<string>>();
  const walk = (node: Node) => {
    for (const [name, child] of Object.entries(node.dependencies ?? {})) {
      if (name.startsWith('@opentelemetry/') && child.version !== undefined)
        versions.set(name, (versions.get(name) ?? new Set()).add(child.version));
      walk(child);
    }
  };
  walk(tree);
  return versions;
}

/** Megabytes on disk under `dir/node_modules`. */
export function installedMegabytes(dir: string): number {
  return Number(execFileSync('du', ['-sm', join(dir, 'node_modules')], { encoding: 'utf8' }).split('\t')[0]);
}

/** One runnable snippet of "Adopting it in an existing service" (README.md and docs/adopting.md). */
export interface Snippet {
  /** Its heading, e.g. `Express, under the preload`. */
  readonly title: string;
  /** The file its first line names, e.g. `server.cjs`. */
  readonly file: string;
  /** The node arguments its first line gives (`node --require ... server.cjs` without `node`). */
  readonly args: string[];
  readonly code: string;
  /** True when it runs under our preload. */
  readonly preload: boolean;
}

/**
 * The adoption snippets, read from the docs themselves so the two cannot drift apart: the Express ones from the
 * README's "Adopting it in an existing service", the Fastify ones from the same section of docs/adopting.md.
 */
export function readmeSnippets(): Snippet[] {
  const snippets: Snippet[] = [];
  for (const file of ['README.md', 'docs/adopting.md']) snippets.push(...adoptionSnippets(file));
  return snippets;
}

function adoptionSnippets(file: string): Snippet[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const start = text.indexOf('\n## Adopting it in an existing service\n');
  if (start < 0) throw new Error(`${file} has no "## Adopting it in an existing service" section`);
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  const snippets: Snippet[] = [];
  for (const match of section.matchAll(/^### (.+)\n\n```js\n([\s\S]*?)```/gm)) {
    const [, title, code] = match as unknown as [string, string, string];
    const first = /^\/\/ (\S+): node (.+)$/m.exec(code.split('\n')[0] ?? '');
    if (first === null) throw new Error(`${file} snippet "${title}" must start with "// <file>: node <args>"`);
    const args = first[2]!.split(' ');
    snippets.push({ title, file: first[1]!, args, code, preload: args.some((a) => a.startsWith('@llmkg/production/register')) });
  }
  return snippets;
}

/** Writes `snippet` into its own folder of the consumer project (so it resolves the project's packages). */
export function writeSnippet(project: string, snippet: Snippet): string {
  const dir = join(project, snippet.title.toLowerCase().replace(/[^a-z0-9]+/g, '-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, snippet.file), snippet.code);
  return dir;
}
