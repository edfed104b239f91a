import { InvalidConfigError } from '../errors.js';

/**
 * A synchronous `require` anchored in this package, for dependencies loaded only when the configuration uses
 * them (the Node SDK and OTLP exporters in the preload, `ioredis` for a Redis store): loading them at start-up
 * would cost every user their load time. It resolves from our own files, so it finds what our package.json
 * declares wherever the application runs from.
 *
 * This source is the CommonJS form. TypeScript cannot compile one source to `require` in CommonJS and to
 * `createRequire(import.meta.url)` in an ES module, so `scripts/build.mjs` writes the ES-module build of this
 * file itself (the same export, from `createRequire(import.meta.url)`) and fails if this file's shape changes.
 */
export const moduleRequire: NodeJS.Require = require;

/**
 * Loads an optional peer dependency. When it is not installed, throws INVALID_CONFIG at `path` (the setting
 * that asked for it), naming the package and the install command; other load errors (a broken install) are
 * rethrown as they are.
 */
export function requireOptionalPeer<T>(name: string, path: string, neededFor: string): T {
  try {
    return moduleRequire(name) as T;
  } catch (error) {
    const code = (error as { code?: unknown } | undefined)?.code;
    if (code !== 'MODULE_NOT_FOUND' || !String((error as Error).message).includes(`'${name}'`)) throw error;
    throw new InvalidConfigError(
      path,
      `${neededFor} needs the optional peer dependency ${name}, which is not installed: npm install ${name}`,
    );
  }
}
