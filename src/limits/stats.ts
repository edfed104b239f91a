import type { TrackedUsers } from './memory-store.js';
import type { RateGate } from './rate-gate.js';
import type { FailureMode } from './config.js';
import type { RateLimitStoreStatus, StoreState } from './store.js';

/** Allowed and rejected decisions of one scope. */
export interface DecisionCounts {
  allowed: number;
  rejected: number;
}

/** One operation's decisions per scope, and whether it has a limit of its own. */
export interface OperationDecisions {
  global: DecisionCounts;
  operation: DecisionCounts;
  user: DecisionCounts;
  /** True when the operation has its own limit. */
  limited: boolean;
}

/** Checks decided without the shared store, by failure mode (keys are the `failureMode` values). */
export type StoreFailures = Record<FailureMode, number>;

/** `getRateLimitStats()`: plain JSON. */
export interface RateLimitStats {
  enabled: boolean;
  /** Where decisions are made now. */
  store: StoreState;
  /** Totals per scope. */
  global: DecisionCounts;
  operation: DecisionCounts;
  user: DecisionCounts;
  /** Per operation name (past the cap, `_other`). */
  operations: Record<string, OperationDecisions>;
  /** Per-user state: tracked keys, capacity evictions, idle expiries, users with their own limit. */
  users: { tracked: number; evicted: number; expired: number; overrides: number };
  /** Checks decided without the store, by failure mode. */
  storeFailures: StoreFailures;
  /** The busiest users by refusals (any scope), heaviest first, at most 10; counts are space-saving estimates. */
  topRejectedUsers: Array<{ userId: string; rejections: number; error: number }>;
  /** The shared store's details (Redis, Redis Cluster, or your own store), null in memory. */
  redis: RateLimitStoreStatus | null;
}

/** How many of the busiest users `getRateLimitStats()` lists. */
export const TOP_REJECTED_USERS = 10;

/** What the stats read besides the gate's counters. */
export interface StatsSource {
  readonly enabled: boolean;
  readonly state: StoreState;
  /** The shared store's status, undefined in memory. */
  readonly details: RateLimitStoreStatus | undefined;
  /** The in-memory per-user limiter (the store's, or the local fallback's). */
  readonly users: TrackedUsers | undefined;
  readonly storeFailures: StoreFailures;
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
      global: { allowed: entry.globalAllowed, rejected: entry.globalRejected },
      operation: { allowed: entry.operationAllowed, rejected: entry.operationRejected },
      user: { allowed: entry.userAllowed, rejected: entry.userRejected },
      limited: entry.config !== undefined,
    };
  }
  return stats;
}
