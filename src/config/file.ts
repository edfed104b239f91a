/**
 * The configuration file (`PRODUCTION_CONFIG_FILE` or the `configFile` option): one YAML or JSON document holding
 * the whole configuration. Read and parsed here, validated once (errors name the file, the field's path and its
 * line), so the layers above see a plain object. `yaml` is loaded only when a file is configured: a start without
 * one pays nothing for it.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type * as Yaml from 'yaml';
import type { z } from 'zod';
import { InvalidConfigFileError } from '../errors.js';
import { moduleRequire } from '../internal/module-require.js';
import { PARSE_ONCE } from '../internal/validation.js';

/** The variable naming the configuration file. */
export const CONFIG_FILE_ENV = 'PRODUCTION_CONFIG_FILE';

/** Largest configuration file read (a config is a few kB; a bigger file is a mistake, not a config). */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/** Aliases a YAML document may expand at most (a "billion laughs" document would otherwise fill the heap). */
const MAX_ALIASES = 100;

/** Key an editor uses to find the JSON Schema; not a setting, so it is dropped before validation. */
const SCHEMA_KEY = '$schema';

type Plain = Record<string, unknown>;

/** One configuration file as read: where it is, the hash of its bytes, its values, and where each field stands. */
export interface ConfigFile {
  /** Absolute path of the file. */
  readonly path: string;
  /** SHA-256 of the file's bytes, hex. */
  readonly hash: string;
  /** The document's values (without `$schema`). */
  readonly values: Readonly<Record<string, unknown>>;
  /** The 1-based line of the value at `path` (or of its nearest ancestor in the file), if known. */
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

function fileError(file: string, message: string, fieldPath = '(root)', line?: number): InvalidConfigFileError {
  return new InvalidConfigFileError(fieldPath, message, file, line);
}

function loadYaml(file: string): typeof Yaml {
  try {
    return moduleRequire('yaml') as typeof Yaml;
  } catch (error) {
    throw fileError(file, `the yaml package could not be loaded: ${(error as Error).message}`);
  }
}

/** Reads and parses `path` (YAML 1.2, of which JSON is a subset); INVALID_CONFIG naming the file and line on failure. */
export function readConfigFile(path: string, cwd = process.cwd()): ConfigFile {
  const file = resolve(cwd, path);
  const ext = extname(file).toLowerCase();
  if (!['.yaml', '.yml', '.json'].includes(ext)) throw fileError(file, 'expected a .yaml, .yml or .json file');
  let bytes: Buffer;
  try {
    const size = statSync(file).size;
    if (size > MAX_CONFIG_FILE_BYTES) throw fileError(file, `is ${size} bytes; at most ${MAX_CONFIG_FILE_BYTES}`);
    bytes = readFileSync(file);
  } catch (error) {
    if (error instanceof InvalidConfigFileError) throw error;
    throw fileError(file, `cannot be read: ${(error as Error).message}`);
  }
  return parseConfigText(file, bytes);
}

/** Parses a configuration document's bytes; `file` names it in errors. */
export function parseConfigText(file: string, bytes: Buffer | string): ConfigFile {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  const hash = createHash('sha256').update(bytes).digest('hex');
  // JSON takes the fast path: loading yaml costs start-up time (bench/), so it is loaded only for YAML files
  // and, for a JSON file, only when an error needs its line. Duplicate JSON keys: the last wins, as in JSON.parse.
  if (extname(file).toLowerCase() === '.json') {
    try {
      const values: unknown = text.trim() === '' ? {} : JSON.parse(text);
      let located: ((path: readonly PropertyKey[]) => number | undefined) | undefined;
      return toConfigFile(file, hash, values, (path) => (located ??= parseYaml(file, text).lineOf)(path));
    } catch (error) {
      if (error instanceof InvalidConfigFileError) throw error;
      // Not JSON: the YAML parser names the line (JSON is YAML 1.2), or reads it when JSON.parse was too strict.
    }
  }
  const parsed = parseYaml(file, text);
  return toConfigFile(file, hash, parsed.values, parsed.lineOf);
}

function parseYaml(file: string, text: string): { values: unknown; lineOf: ConfigFile['lineOf'] } {
  const yaml = loadYaml(file);
  const counter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false, strict: true });
  const problem = doc.errors[0];
  if (problem !== undefined) {
    const line = problem.linePos?.[0].line ?? counter.linePos(problem.pos[0]).line;
    const kind = extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML';
    throw fileError(file, `is not valid ${kind}: ${problem.message.split('\n')[0]}`, '(root)', line);
  }
  let values: unknown;
  try {
    values = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    throw fileError(file, `cannot be read as data: ${(error as Error).message}`);
  }
  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      const range = (node as { range?: readonly number[] } | null | undefined)?.range;
      if (range !== undefined) return counter.linePos(range[0]!).line;
    }
    return undefined;
  };
  return { values, lineOf };
}

function toConfigFile(file: string, hash: string, values: unknown, lineOf: ConfigFile['lineOf']): ConfigFile {
  // An empty document (or one holding only comments) is an empty configuration.
  if (values === null || values === undefined) values = {};
  if (typeof values !== 'object' || Array.isArray(values)) {
    throw fileError(file, 'must hold a mapping of sections (e.g. `monitoring:`)', '(root)', 1);
  }
  const plain = { ...(values as Plain) };
  delete plain[SCHEMA_KEY];
  return { path: file, hash, values: plain, lineOf };
}

/**
 * The issue to report for `issue`: inside a union (`false` or settings), the branch that got furthest, so the
 * path names the bad field rather than the union. Paths are made absolute.
 */
function innermost(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  const branches = issue.errors.map((branch) => branch.map((i) => innermost({ ...i, path: [...issue.path, ...i.path] })));
  const best = branches.reduce((a, b) => ((b[0]?.path.length ?? 0) > (a[0]?.path.length ?? 0) ? b : a));
  return best[0] !== undefined && best[0].path.length > issue.path.length ? best[0] : issue;
}

/** The path of an issue, with an unknown key's own name appended (zod reports it on the object holding it). */
function issuePath(issue: z.core.$ZodIssue): PropertyKey[] {
  const path: PropertyKey[] = [...issue.path];
  if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) path.push(issue.keys[0]!);
  return path;
}

/** `a.b.0.c`, with a key that is empty or holds spaces or odd characters quoted (`a." ".c`), so it can be read. */
function dottedPath(path: readonly PropertyKey[]): string {
  const segment = (key: PropertyKey): string => (typeof key === 'string' && !/^[\w$.:/-]+$/.test(key) ? JSON.stringify(key) : String(key));
  return path.map(segment).join('.') || '(root)';
}

/** The message of an issue as a file's reader needs it. */
function issueMessage(issue: z.core.$ZodIssue, path: readonly PropertyKey[]): string {
  if (issue.code === 'unrecognized_keys') return `unknown setting "${String(path[path.length - 1])}"`;
  // z.custom's functions (retryOn, failureOn, ...) cannot be written in a file.
  if (issue.message === 'expected a function') return 'is code-only (a function): set it in the config passed to createProductionSystem';
  return issue.message;
}

/** Most issues one error message lists (the first is the error's `path`). */
const MAX_LISTED_ISSUES = 5;

/**
 * Validates the file's values against `schema` on their own (defaults beneath, nothing above), so a bad field is
 * blamed on the file with its line. Throws {@link InvalidConfigFileError} listing up to five issues.
 */
export function validateConfigFile(file: ConfigFile, schema: z.ZodType): void {
  const result = schema.safeParse(file.values, PARSE_ONCE);
  if (result.success) return;
  const issues = result.error.issues.slice(0, MAX_LISTED_ISSUES).map((found) => {
    const issue = innermost(found);
    const path = issuePath(issue);
    return { dotted: dottedPath(path), line: file.lineOf(path), message: issueMessage(issue, path) };
  });
  const first = issues[0]!;
  const more = issues.slice(1).map((i) => `; ${i.dotted}${i.line === undefined ? '' : ` (line ${i.line})`}: ${i.message}`);
  const extra = result.error.issues.length > MAX_LISTED_ISSUES ? `; and ${result.error.issues.length - MAX_LISTED_ISSUES} more` : '';
  throw fileError(file.path, first.message + more.join('') + extra, first.dotted, first.line);
}

/** The file `env` names (`PRODUCTION_CONFIG_FILE`), or undefined when it is unset or empty. */
export function configFilePathFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env[CONFIG_FILE_ENV]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}
