import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPort } from '../support/processes.js';

/** The repository root (the preload and the example live there). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SERVER = 'examples/knowledge-graph/server.mjs';

/** The environment of a child: this one without any OTEL_*, PRODUCTION_*, npm_* or fault variables, plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(OTEL_|PRODUCTION_|npm_|FAULT_|KG_|PORT$|HOST$)/.test(key)) env[key] = value;
  }
  return { ...env, ...extra };
}

/** A child process with its output, and a way to stop it. */
export interface Child {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** Runs `node args` in the repository root (or `cwd`). */
export function runNode(args: string[], env: NodeJS.ProcessEnv, cwd: string = ROOT): Child {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-200_000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return exited;
    },
  };
}

/** The example service under the preload, on free ports. */
export interface Service extends Child {
  readonly url: string;
  readonly adminUrl: string;
}

/** Starts the example service with `--require ./instrumentation` or `--import ./instrumentation/register.mjs`. */
export async function startService(form: 'require' | 'import', extra: Record<string, string> = {}): Promise<Service> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const flag = form === 'require' ? ['--require', './instrumentation'] : ['--import', './instrumentation/register.mjs'];
  const env = childEnv({ PORT: String(port), OTEL_EXPORTER_PROMETHEUS_PORT: String(adminPort), ...extra });
  const proc = runNode([...flag, SERVER], env);
  try {
    await Promise.race([
      Promise.all([waitForPort(port, '127.0.0.1', 20_000), waitForPort(adminPort, '127.0.0.1', 20_000)]),
      proc.exited.then((code) => {
        throw new Error(`the service exited early (${code}):\n${proc.stderr()}\n${proc.stdout()}`);
      }),
    ]);
  } catch (error) {
    proc.child.kill('SIGKILL');
    throw error;
  }
  return { ...proc, url: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}` };
}

/** Polls `check` every 50 ms until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
