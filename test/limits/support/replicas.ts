import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { RateLimitConfigInput, RateLimitStats } from '../../../src/limits/index.js';
import { requireBuild } from '../../support/helpers.js';

const FIXTURE = join(process.cwd(), 'test/limits/fixtures/replica.mjs');

/** Per-user and total counts of one replica's calls: `allowed`, `limited`, `unavailable`, `error:<message>`. */
export interface Tally {
  perUser: Record<string, Record<string, number>>;
  totals: Record<string, number>;
  slowestMs: number;
}

/** One replica process (a RateLimitingManager per named config, on the built package). */
export class Replica {
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private output = '';

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

  /** Starts a replica and resolves once its managers are connected. */
  static async start(configs: Record<string, RateLimitConfigInput>, env: Record<string, string> = {}): Promise<Replica> {
    requireBuild('dist/esm/index.js');
    const child = fork(FIXTURE, [], {
      env: { ...process.env, ...env, REPLICA_CONFIGS: JSON.stringify(configs) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const replica = new Replica(child);
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

  /** Every user gets `callsPerUser` checks, `inFlight` at a time. */
  burst(manager: string, users: string[], callsPerUser: number, inFlight = 20): Promise<Tally> {
    return this.request('burst', { manager, users, callsPerUser, inFlight });
  }

  /** Checks on one user for `durationMs`, `inFlight` at a time. */
  hammer(manager: string, user: string, durationMs: number, inFlight = 20): Promise<Tally> {
    return this.request('hammer', { manager, user, durationMs, inFlight });
  }

  /** Each manager's stats. */
  stats(): Promise<Record<string, RateLimitStats>> {
    return this.request('stats');
  }

  /** Shuts the managers down; kills the process if it does not exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await Promise.race([this.request('exit').catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** Sum of `kind` for `user` over the replicas' tallies. */
export function total(tallies: Tally[], user: string, kind = 'allowed'): number {
  return tallies.reduce((n, t) => n + (t.perUser[user]?.[kind] ?? 0), 0);
}

/** Calls that ended in an unexpected error, over the tallies (should be none). */
export function errors(tallies: Tally[]): string[] {
  return tallies.flatMap((t) => Object.keys(t.totals).filter((k) => k.startsWith('error:')));
}
