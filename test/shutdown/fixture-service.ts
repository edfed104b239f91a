import { resolve } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { freePort, requireBuild, spawnService, type ChildHandle } from '../support/helpers.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';

// The shutdown fixture service (fixtures/service.mjs) in a child process, exporting its spans to a receiver.

// vitest runs from the package root.
const FIXTURE = resolve('test/shutdown/fixtures/service.mjs');

/** The running fixture. */
export interface FixtureService extends ChildHandle {
  readonly port: number;
}

/** Starts the fixture on a free port with `env` (PRESTOP_MS, DRAIN_MS, STOP_LISTENING_AT). */
export async function startFixtureService(receiver: OtlpReceiver, env: Record<string, string>): Promise<FixtureService> {
  requireBuild('dist/esm/index.js');
  const port = await freePort();
  const handle = await spawnService(process.execPath, [FIXTURE], {
    env: { ...process.env, APP_PORT: String(port), OTLP_TRACES_URL: `${receiver.endpoint}/v1/traces`, OTEL_SDK_DISABLED: 'false', ...env },
    ports: [port],
  });
  return { ...handle, port };
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
    if (service?.running()) await service.stop('SIGKILL');
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
