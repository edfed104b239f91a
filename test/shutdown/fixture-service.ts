import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { freePort, waitForPort } from '../support/processes.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';

// The shutdown fixture service (fixtures/service.mjs) in a child process, exporting its spans to a receiver.

// vitest runs from the package root.
const FIXTURE = resolve('test/shutdown/fixtures/service.mjs');
const DIST = resolve('dist/esm/index.js');

/** The running fixture. */
export interface FixtureService {
  child: ChildProcess;
  port: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** Starts the fixture on a free port with `env` (PRESTOP_MS, DRAIN_MS, STOP_LISTENING_AT). */
export async function startFixtureService(receiver: OtlpReceiver, env: Record<string, string>): Promise<FixtureService> {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npm run build\` first (npm test does)`);
  const port = await freePort();
  const child = spawn(process.execPath, [FIXTURE], {
    env: { ...process.env, APP_PORT: String(port), OTLP_TRACES_URL: `${receiver.endpoint}/v1/traces`, OTEL_SDK_DISABLED: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  await Promise.race([
    waitForPort(port, '127.0.0.1', 20_000),
    exited.then(() => {
      throw new Error(`service exited before listening:\n${out}`);
    }),
  ]);
  return { child, port, output: () => out, exited };
}

/** The `EXIT {...}` line the fixture prints as it exits. */
export function exitStats(output: string): { code: number; progress: Record<string, unknown> } {
  const line = output.split('\n').find((l) => l.startsWith('EXIT '));
  if (line === undefined) throw new Error(`no EXIT line in the service output:\n${output}`);
  return JSON.parse(line.slice(5)) as { code: number; progress: Record<string, unknown> };
}

/** When the fixture entered `phase` (epoch ms), from its `PHASE <name> <ms>` lines. */
export function phaseStartedAt(output: string, phase: string): number | undefined {
  const m = new RegExp(`^PHASE ${phase} (\\d+)$`, 'm').exec(output);
  return m ? Number(m[1]) : undefined;
}

/**
 * Per test: a fresh OTLP receiver, and `start(env)` for the fixture exporting to it; afterwards a fixture still
 * running is killed and the receiver closed.
 */
export function useFixtureService(): { receiver(): OtlpReceiver; start(env: Record<string, string>): Promise<FixtureService> } {
  let receiver: OtlpReceiver | undefined;
  let service: FixtureService | undefined;
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    if (service && service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
    service = undefined;
    await receiver?.close();
  });
  return {
    receiver: () => receiver!,
    async start(env) {
      service = await startFixtureService(receiver!, env);
      return service;
    },
  };
}
