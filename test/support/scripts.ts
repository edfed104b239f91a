import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** The built ES module entry, for child scripts (`npm test` builds first). */
export const DIST_ESM = resolve('dist/esm/index.js');

/** How a child script ended. */
export interface ScriptResult {
  /** Exit code (null when killed by a signal, e.g. on timeout). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `source` as an ES module in a fresh node process (cwd: the package root, so `@llmkg/production`
 * resolves to the build), nothing else keeping its event loop alive. Killed after `timeoutMs`.
 */
export function runModuleScript(source: string, options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; args?: string[] } = {}): Promise<ScriptResult> {
  if (!existsSync(DIST_ESM)) throw new Error(`${DIST_ESM} is missing: run \`npm run build\` first (npm test does)`);
  return new Promise((done) => {
    const child = spawn(process.execPath, [...(options.args ?? []), '--input-type=module', '-e', source], {
      cwd: resolve('.'),
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
  });
}
