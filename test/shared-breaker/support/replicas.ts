import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { SharedBreakerStatus } from '../../../src/shared-breaker/breaker.js';
import { requireBuild } from '../../support/helpers.js';
import { IpcChild, forkFixture } from '../../support/ipc-child.js';

const FIXTURE = join(process.cwd(), 'test/shared-breaker/fixtures/replica.mjs');

/** One call a replica made: when it ended (epoch ms), how, and how long it took. */
export interface CallRecord {
  readonly at: number;
  readonly outcome: string;
  readonly ms: number;
}

/** What a replica's loop did: its calls and its breaker's transitions. */
export interface LoopRecord {
  readonly calls: CallRecord[];
  readonly transitions: { at: number; from: string; to: string }[];
}

/** One replica process (a production system with a shared breaker on `dep.call`), driven over IPC. */
export class BreakerReplica extends IpcChild {
  /** Starts a replica and resolves once its system is up. */
  static async start(config: unknown, env: Record<string, string>): Promise<BreakerReplica> {
    requireBuild('dist/esm/index.js');
    const replica = new BreakerReplica(forkFixture(FIXTURE, { ...env, REPLICA_CONFIG: JSON.stringify(config) }));
    await replica.ready();
    return replica;
  }

  /** Starts calling the dependency (or, `inProcess`, an operation that returns at once), one call every `gapMs`. */
  startLoop(gapMs: number, inProcess = false): Promise<void> {
    return this.request('start', { gapMs, inProcess });
  }

  /** Stops the loop; answers what it did. */
  stopLoop(): Promise<LoopRecord> {
    return this.request('stop');
  }

  /** The shared breaker of `dep.call` (undefined before its first call). */
  async status(): Promise<SharedBreakerStatus | undefined> {
    return (await this.request<SharedBreakerStatus[]>('status'))[0];
  }
}

/** A dependency on 127.0.0.1: answers 200 while `up`, else 500, and logs every request (time and replica). */
export interface Dependency {
  readonly url: string;
  up: boolean;
  readonly requests: { at: number; replica: string; up: boolean }[];
  close(): Promise<void>;
}

/** Starts a {@link Dependency}. */
export async function startDependency(): Promise<Dependency> {
  const requests: Dependency['requests'] = [];
  const dependency = { up: true, requests } as { up: boolean; requests: Dependency['requests'] };
  const server: Server = createServer((req, res) => {
    requests.push({ at: Date.now(), replica: String(req.headers['x-replica']), up: dependency.up });
    res.writeHead(dependency.up ? 200 : 500).end(dependency.up ? 'ok' : 'down');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return Object.assign(dependency, {
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
