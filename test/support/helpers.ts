import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LogLevel, OperationLogger } from '../../src/pipeline.js';

// The helpers every test shares, after pino's test/helper.js: one "is it built" check, one `eventually`, one way
// to spawn a child process (and one to wait until it listens), one in-memory logger.

/** The repository root (tests run from it; children start in it). */
export const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
/** The built ES module entry, for child scripts. */
export const DIST_ESM = join(ROOT, 'dist/esm/index.js');
/** The built CommonJS entry. */
export const DIST_CJS = join(ROOT, 'dist/cjs/index.js');
/** A built task entry (`@llmkg/production/<name>`), ES module, for child scripts. */
export const distEntry = (name: string): string => join(ROOT, `dist/esm/entries/${name}.js`);

/**
 * Throws unless the package is built: each of `files` (paths from the repository root; by default the ES module
 * and CommonJS entries) exists. Tests that run dist/ in a child call it first, so a missing build fails at once
 * with what to do rather than as a child's import error.
 */
export function requireBuild(...files: string[]): void {
  const needed = files.length > 0 ? files : ['dist/esm/index.js', 'dist/cjs/index.js'];
  const missing = needed.filter((file) => !existsSync(resolve(ROOT, file)));
  if (missing.length > 0) throw new Error(`${missing.join(', ')} missing: run \`npm run build\` first (npm test does)`);
}

/**
 * Path of a binary from a Debian package, or an error naming the package. CI installs them (.ci/run), so a
 * missing binary fails the test there and locally alike.
 */
export function requireBinary(path: string, debianPackage: string): string {
  if (!existsSync(path)) throw new Error(`${path} is missing: apt-get install -y ${debianPackage} (CI installs it in .ci/run)`);
  return path;
}

/** What {@link eventually} waits for, and how long. */
export interface EventuallyOptions {
  /** Named in the timeout error: "timed out after … waiting for <what>". */
  readonly what: string;
  /** Default 15 s: wide, for a loaded 2-core CI machine. */
  readonly timeoutMs?: number;
  /** Pause between checks; default 50 ms. */
  readonly intervalMs?: number;
  /** More to show when it times out (a child's output, the last document seen). */
  readonly details?: () => string;
}

/** What a check returns while the condition does not hold yet. */
type NotYet = undefined | null | false;

/**
 * Calls `check` until it returns something other than undefined, null or false, and resolves with that. A check
 * that throws counts as "not yet" (a server still starting); the last error is in the timeout's message.
 */
export async function eventually<T>(check: () => T | Promise<T>, options: EventuallyOptions): Promise<Exclude<T, NotYet>> {
  const { timeoutMs = 15_000, intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value as Exclude<T, NotYet>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const threw =
        lastError === undefined
          ? ''
          : `; the last check threw: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}`;
      const details = options.details ? `\n${options.details()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what}${threw}${details}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * `promise`, or a rejection naming `what` (and `details()`, such as a child's output) when it has not settled
 * within `timeoutMs`; the timer is cleared either way.
 */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string, details?: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(
      () => fail(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${details ? `\n${details()}` : ''}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A free TCP port on 127.0.0.1 (the tests of several helpers share the machine: never a fixed port). */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

function accepts(port: number, host: string): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

/** Resolves once something accepts TCP connections on host:port, or rejects after `timeoutMs`. */
export async function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 15_000): Promise<void> {
  await eventually(() => accepts(port, host), { what: `something to listen on ${host}:${port}`, timeoutMs });
}

/** Resolves once `url` answers 2xx (Prometheus listens before its storage is ready: `/-/ready`). */
export async function waitForHttpOk(url: string, timeoutMs = 20_000): Promise<void> {
  await eventually(async () => (await fetch(url)).ok, { what: `${url} to answer 2xx`, timeoutMs, intervalMs: 100 });
}

/** How a child ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** When it exited (epoch ms). */
  readonly at: number;
}

/** A spawned child process: its output so far, its exit, and ways to wait for a line or stop it. */
export interface ChildHandle {
  readonly child: ChildProcess;
  /** stdout so far (the last `keepOutput` characters). */
  readonly stdout: () => string;
  /** stderr so far (the last `keepOutput` characters). */
  readonly stderr: () => string;
  /** stdout and stderr interleaved as they came, for failure messages. */
  readonly output: () => string;
  /** Complete stdout lines so far (the last 5000). */
  readonly lines: () => string[];
  /** Resolves with the first stdout line matching `pattern`, printed before or after the call. */
  readonly waitForLine: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
  /** Writes to its stdin (spawned with `stdin: true`). */
  readonly write: (text: string) => void;
  /** True until it exits. */
  readonly running: () => boolean;
  /** Resolves when it exits. */
  readonly exited: Promise<ChildExit>;
  /** Sends `signal` (default SIGTERM), then SIGKILL after `graceMs` (default 10 s); resolves once it exited. */
  readonly stop: (signal?: NodeJS.Signals, graceMs?: number) => Promise<ChildExit>;
}

/** Options of {@link spawnProcess}. */
export interface SpawnOptions {
  /** Default the repository root. */
  readonly cwd?: string;
  /** Default this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** Pipe stdin for {@link ChildHandle.write}; default ignored. */
  readonly stdin?: boolean;
  /** Characters of each stream kept; default 200,000. */
  readonly keepOutput?: number;
}

/** Spawns `command args` with its output captured. */
export function spawnProcess(command: string, args: readonly string[], options: SpawnOptions = {}): ChildHandle {
  const keep = options.keepOutput ?? 200_000;
  const child = spawn(command, [...args], {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let both = '';
  let partial = '';
  const lines: string[] = [];
  const wake = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    out = (out + text).slice(-keep);
    both = (both + text).slice(-keep);
    const parts = (partial + text).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    if (lines.length > 5000) lines.splice(0, lines.length - 5000);
    for (const w of wake) w();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err = (err + chunk.toString()).slice(-keep);
    both = (both + chunk.toString()).slice(-keep);
  });
  const exited = new Promise<ChildExit>((done) => child.once('exit', (code, signal) => done({ code, signal, at: Date.now() })));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  void exited.then(() => {
    for (const w of wake) w();
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    output: () => both,
    lines: () => [...lines],
    running,
    exited,
    write: (text) => void child.stdin!.write(text),
    waitForLine: (pattern, timeoutMs = 15_000) => {
      return new Promise((done, fail) => {
        const finish = (): void => {
          clearTimeout(timer);
          wake.delete(check);
        };
        const check = (): void => {
          const line = lines.find((l) => pattern.test(l));
          if (line !== undefined) {
            finish();
            done(line);
          } else if (!running()) {
            finish();
            fail(
              new Error(`${command} exited (${child.exitCode ?? child.signalCode}) before printing a line matching ${pattern}:\n${both}`),
            );
          }
        };
        const timer = setTimeout(() => {
          finish();
          fail(new Error(`${command} printed no line matching ${pattern} in ${timeoutMs} ms:\n${both}`));
        }, timeoutMs);
        wake.add(check);
        check();
      });
    },
    stop: async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000) => {
      if (running()) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
}

/** Options of {@link spawnService}: what "ready" means. */
export interface ServiceOptions extends SpawnOptions {
  /** Ports on 127.0.0.1 that must accept connections. */
  readonly ports?: readonly number[];
  /** A stdout line that must have been printed. */
  readonly readyLine?: RegExp;
  /** Default 20 s. */
  readonly timeoutMs?: number;
}

/**
 * Spawns a server and resolves once it is ready: every port in `ports` accepts connections and `readyLine` was
 * printed. If it exits first, or is not ready in time, it is killed and the error carries its output.
 */
export async function spawnService(command: string, args: readonly string[], options: ServiceOptions = {}): Promise<ChildHandle> {
  const handle = spawnProcess(command, args, options);
  const timeoutMs = options.timeoutMs ?? 20_000;
  try {
    await Promise.race([
      Promise.all([
        ...(options.ports ?? []).map((port) => waitForPort(port, '127.0.0.1', timeoutMs)),
        ...(options.readyLine ? [handle.waitForLine(options.readyLine, timeoutMs)] : []),
      ]),
      handle.exited.then((exit) => {
        throw new Error(`${command} exited (${exit.code ?? exit.signal}) before it was ready`);
      }),
    ]);
  } catch (error) {
    await handle.stop('SIGKILL');
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${command} output:\n${handle.output()}`, { cause: error });
  }
  return handle;
}

/** How a child script ended, with all its output. */
export interface ScriptResult {
  /** Exit code (null when killed by a signal, e.g. on timeout). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `source` as an ES module in a fresh node process (cwd: the repository root, so `@llmkg/production`
 * resolves to the build), with nothing else keeping its event loop alive. Killed after `timeoutMs`.
 */
export async function runModuleScript(
  source: string,
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; args?: string[] } = {},
): Promise<ScriptResult> {
  requireBuild('dist/esm/index.js');
  const handle = spawnProcess(process.execPath, [...(options.args ?? []), '--input-type=module', '-e', source], {
    env: options.env ?? process.env,
  });
  const timer = setTimeout(() => handle.child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  const { code, signal } = await handle.exited;
  clearTimeout(timer);
  return { code, signal, stdout: handle.stdout(), stderr: handle.stderr() };
}

/** One record a {@link memoryLogger} kept. */
export interface LogRecord {
  readonly level: LogLevel;
  readonly component: string;
  readonly operation: string;
  readonly message: string;
  readonly metadata: Record<string, unknown> | undefined;
}

/** An `OperationLogger` that keeps every record, for tests that check what a component logged. */
export function memoryLogger(): OperationLogger & { readonly records: LogRecord[] } {
  const records: LogRecord[] = [];
  return {
    records,
    log(level, component, operation, message, metadata) {
      records.push({ level, component, operation, message, metadata });
    },
  };
}
