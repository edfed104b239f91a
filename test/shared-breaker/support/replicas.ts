import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { SharedBreakerStatus } from '../../../src/shared-breaker/breaker.js';
import { requireBuild } from '../../support/helpers.js';

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
export class BreakerReplica {
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  output = '';

  private constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-5000)));
    child.stderr?.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-5000)));
    child.on('message', (message: { id?: number; ok?: boolean; value?: unknown; error?: string }) => {
      if (message.id === undefined) return;
      const waiter = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.ok) waiter?.resolve(message.value);
      else waiter?.reject(new Error(message.error));
    });
    child.once('exit', (code, signal) => {
      for (const waiter of this.waiting.values()) waiter.reject(new Error(`replica exited (${code ?? signal}):\n${this.output}`));
      this.waiting.clear();
    });
  }

  /** Starts a replica and resolves once its system is up. */
  static async start(config: unknown, env: Record<string, string>): Promise<BreakerReplica> {
    requireBuild('dist/esm/index.js');
    const child = fork(FIXTURE, [], {
      env: { ...process.env, ...env, REPLICA_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const replica = new BreakerReplica(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`replica did not start:\n${replica.output}`)), 30_000);
      child.once('message', () => (clearTimeout(timer), resolve()));
      child.once('exit', () => (clearTimeout(timer), reject(new Error(`replica exited at start:\n${replica.output}`))));
    });
    return replica;
  }

  private request<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, cmd, ...args });
    });
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

  /** Shuts the system down; kills the process if it does not exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await Promise.race([this.request('exit').catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
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
