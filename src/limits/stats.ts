import type { TrackedUsers } from './memory-store.js';
import type { RateGate } from './rate-gate.js';
import type { RateLimitStats, RateLimitStoreStatus, StoreFailures, StoreState } from './snapshot.js';

export type { DecisionCounts, OperationDecisions, RateLimitStats, StoreFailures } from './snapshot.js';

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
