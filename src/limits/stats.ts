import type { KeyedRateLimiter } from './keyed-limiter.js';
import type { RateGate } from './rate-gate.js';
import type { StoreState } from './store.js';

/** Allowed and rejected decisions of one scope. */
export interface DecisionCounts {
  allowed: number;
  rejected: number;
}

/** `getRateLimitStats()`: plain JSON. */
export interface RateLimitStats {
  enabled: boolean;
  /** Where decisions are made now. */
  store: StoreState;
  /** Totals per scope. */
  global: DecisionCounts;
  operation: DecisionCounts;
  user: DecisionCounts;
  /** Per operation (past the cap, `_other`): counts named `<scope>.<decision>`, and `limited` 1 when it has its own limit. */
  operations: Record<string, Record<string, number>>;
  /** Per-user state: tracked keys, capacity evictions, idle expiries, users with their own limit. */
  users: { tracked: number; evicted: number; expired: number; overrides: number };
  /** Checks decided without the store, by failure mode. */
  storeFailures: { fail_open: number; fail_closed: number; local_fallback: number };
  /** The busiest users by refusals (any scope), heaviest first, at most 10; counts are space-saving estimates. */
  topRejectedUsers: Array<{ userId: string; rejections: number; error: number }>;
  /** The shared store's details (Redis, Redis Cluster, or your own store), null in memory. */
  redis: Record<string, unknown> | null;
}

/** How many of the busiest users `getRateLimitStats()` lists. */
export const TOP_REJECTED_USERS = 10;

/** What the stats read besides the gate's counters. */
export interface StatsSource {
  readonly enabled: boolean;
  readonly state: StoreState;
  /** The shared store's status, undefined in memory. */
  readonly details: Record<string, unknown> | undefined;
  /** The in-memory per-user limiter (the store's, or the local fallback's). */
  readonly users: KeyedRateLimiter | undefined;
  readonly storeFailures: { fail_open: number; fail_closed: number; local_fallback: number };
}

/** Builds the stats object from the gate's counters. */
export function rateLimitStats(gate: RateGate, source: StatsSource): RateLimitStats {
  const { enabled, state: store, users } = source;
  const stats: RateLimitStats = {
    enabled,
    store,
    global: { allowed: 0, rejected: 0 },
    operation: { allowed: 0, rejected: 0 },
    user: { allowed: 0, rejected: 0 },
    operations: {},
    users: {
      tracked: users?.size ?? 0,
      evicted: users?.evicted ?? 0,
      expired: users?.expired ?? 0,
      overrides: gate.overrideCount,
    },
    storeFailures: { ...source.storeFailures },
    topRejectedUsers: gate.rejectedUsers.top(TOP_REJECTED_USERS).map((e) => ({ userId: e.key, rejections: e.count, error: e.error })),
    redis: source.details ?? null,
  };
  for (const entry of gate.operations.entries()) {
    stats.global.allowed += entry.globalAllowed;
    stats.global.rejected += entry.globalRejected;
    stats.operation.allowed += entry.operationAllowed;
    stats.operation.rejected += entry.operationRejected;
    stats.user.allowed += entry.userAllowed;
    stats.user.rejected += entry.userRejected;
    stats.operations[entry.name] = {
      'global.allowed': entry.globalAllowed,
      'global.rejected': entry.globalRejected,
      'operation.allowed': entry.operationAllowed,
      'operation.rejected': entry.operationRejected,
      'user.allowed': entry.userAllowed,
      'user.rejected': entry.userRejected,
      limited: entry.config === undefined ? 0 : 1,
    };
  }
  return stats;
}
