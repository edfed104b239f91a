import { join } from 'node:path';
import type { RateLimitConfigInput, RateLimitStats } from '../../../src/limits/index.js';
import { requireBuild } from '../../support/helpers.js';
import { IpcChild, forkFixture } from '../../support/ipc-child.js';

const FIXTURE = join(process.cwd(), 'test/limits/fixtures/replica.mjs');

/** Per-user and total counts of one replica's calls: `allowed`, `limited`, `unavailable`, `error:<message>`. */
export interface Tally {
  perUser: Record<string, Record<string, number>>;
  totals: Record<string, number>;
  slowestMs: number;
}

/** One replica process (a RateLimitingManager per named config, on the built package). */
export class Replica extends IpcChild {
  /** Starts a replica and resolves once its managers are connected. */
  static async start(configs: Record<string, RateLimitConfigInput>, env: Record<string, string> = {}): Promise<Replica> {
    requireBuild('dist/esm/index.js');
    const replica = new Replica(forkFixture(FIXTURE, { ...env, REPLICA_CONFIGS: JSON.stringify(configs) }));
    await replica.ready();
    return replica;
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
}

/** Sum of `kind` for `user` over the replicas' tallies. */
export function total(tallies: Tally[], user: string, kind = 'allowed'): number {
  return tallies.reduce((n, t) => n + (t.perUser[user]?.[kind] ?? 0), 0);
}

/** Calls that ended in an unexpected error, over the tallies (should be none). */
export function errors(tallies: Tally[]): string[] {
  return tallies.flatMap((t) => Object.keys(t.totals).filter((k) => k.startsWith('error:')));
}
