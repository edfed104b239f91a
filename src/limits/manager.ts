import { parseSection } from '../internal/validation.js';
import { BulkheadRejectedError, InvalidConfigError, ResourceExhaustedError } from '../errors.js';
import type { Guard } from '../guard.js';
import type { OperationLogger, RateLimitGate, ResourceGate } from '../pipeline.js';
import { hotPathClock, type Clock } from '../internal/time.js';
import {
  rateLimitConfigSchema,
  rateLimiterConfigSchema,
  resourceLimitsSchema,
  type RateLimitConfig,
  type RateLimitConfigInput,
  type RateLimiterConfigInput,
  type ResourceLimits,
  type ResourceLimitsInput,
} from './config.js';
import type { CallRateLimit } from './decision.js';
import { LimitsMetrics } from './metrics.js';
import { PermitPool } from './permit-pool.js';
import type { LimiterState } from './limiter-state.js';
import { RateGate } from './rate-gate.js';
import type { RedisClient } from './redis-client.js';
import { RedisRateLimitStore } from './redis-store.js';
import type { SharedStateStore } from '../shared-breaker/store.js';
import { processProbe, ResourceUsage, type ResourceProbe } from './resource-usage.js';
import { rateLimitStats, type RateLimitStats, type StoreFailures } from './stats.js';
import { guarded } from '../telemetry/internal-errors.js';
import { buildStore, type BuiltStore } from './store-factory.js';
import type { RateLimitStore, RateLimitStoreStatus, StoreState } from './store.js';
import type { LimitsHealth, ResourceName, ResourceUsageReport } from './snapshot.js';

export type { LimitsHealth, ResourceUsageReport } from './snapshot.js';

/** A held operation permit (seed: `OperationPermit`). */
export type OperationPermit = Guard;
/** A held database connection slot (seed: `DatabaseConnection`). */
export type DatabaseConnection = Guard;

/** Options of {@link RateLimitingManager}. */
export interface RateLimitingManagerOptions {
  /** Clock for every limiter, the store breaker and resource sampling (its monotonic time); default the system clock, read through `node:perf_hooks`. */
  clock?: Clock;
  /** Receives store fallback and recovery transitions. */
  logger?: OperationLogger;
  /** Resource sampling source; default the process's own numbers. */
  probe?: ResourceProbe;
  /**
   * An ioredis client to use for the configured Redis store instead of one built from its `url` or `nodes`
   * (not closed by us). An ioredis `Cluster` makes the store a Redis Cluster store.
   */
  redisClient?: RedisClient;
  /**
   * A store of your own, used as given instead of `rateLimiting.store` (which must then be left unset) and not
   * closed by us. Wrap it in a `FallbackRateLimitStore` for a failure mode.
   */
  store?: RateLimitStore;
  /** Report metrics through the OTel meter; default true. */
  metrics?: boolean;
}

/** Per-user state evicted by the idle sweep per sampling tick at most (keeps each tick short). */
const SWEEP_BUDGET = 10_000;

/**
 * Rate limiting and resource management (seed: `RateLimitingManager`): global, per-operation and per-user
 * limits in memory or on Redis, sampled resource limits, operation permits and a database connection pool.
 */
export class RateLimitingManager implements RateLimitGate, ResourceGate {
  readonly rateLimiting: RateLimitConfig;
  readonly resourceLimits: ResourceLimits;
  /** Current and peak resource use. */
  readonly resourceUsage: ResourceUsage;
  private readonly gate: RateGate;
  private readonly built: BuiltStore;
  private readonly operationPermits: PermitPool;
  private readonly connectionPool: PermitPool;
  private readonly probe: ResourceProbe;
  private readonly metrics: LimitsMetrics | undefined;
  private readonly clock: Clock;
  private sampler: NodeJS.Timeout | undefined;
  private stopped: Promise<void> | undefined;

  constructor(rateLimiting: RateLimitConfigInput = {}, resourceLimits: ResourceLimitsInput = {}, options: RateLimitingManagerOptions = {}) {
    this.rateLimiting = parseSection(rateLimitConfigSchema, rateLimiting, 'rateLimiting');
    this.resourceLimits = parseSection(resourceLimitsSchema, resourceLimits, 'resourceLimits');
    this.clock = options.clock ?? hotPathClock;
    this.built = buildStore(this.rateLimiting, {
      clock: this.clock,
      logger: options.logger,
      store: options.store,
      redisClient: options.redisClient,
    });
    this.gate = new RateGate(this.rateLimiting, this.built.store, this.clock);
    const limits = this.resourceLimits;
    this.operationPermits = new PermitPool({
      size: limits.maxActiveOperations,
      queueSize: limits.permitQueueSize,
      timeoutMs: limits.permitTimeoutMs,
      refuse: (reason) =>
        new BulkheadRejectedError(
          undefined,
          reason === 'closed'
            ? 'Operation permits are closed (shutting down)'
            : reason === 'timeout'
              ? `No operation permit free within ${limits.permitTimeoutMs} ms (maxActiveOperations ${limits.maxActiveOperations})`
              : `No operation permit free and no room to wait (maxActiveOperations ${limits.maxActiveOperations})`,
        ),
    });
    this.connectionPool = new PermitPool({
      size: limits.maxDbConnections,
      queueSize: limits.dbConnectionQueueSize,
      timeoutMs: limits.dbConnectionTimeoutMs,
      refuse: () => new ResourceExhaustedError('db_connections', this.connectionPool.inUse, limits.maxDbConnections),
    });
    this.probe = options.probe ?? processProbe();
    this.resourceUsage = new ResourceUsage(this.probe, this.clock, limits.memoryMeasure);
    this.resourceUsage.sample();
    this.sampler = setInterval(this.tick, limits.sampleIntervalMs);
    this.sampler.unref();
    if (options.metrics !== false) {
      this.metrics = new LimitsMetrics({
        operations: this.gate.operations,
        usage: () => this.syncUsage(),
        storeState: () => this.storeState(),
        userEvictions: () => [this.built.memory?.users?.evicted ?? 0, this.built.memory?.users?.expired ?? 0],
        storeFailures: () => this.storeFailures(),
      });
      this.metrics.register();
    }
  }

  /**
   * Throws RATE_LIMITED when the global, the operation's or the user's limit refuses. Synchronous (returns
   * undefined) in memory, unless a leaky bucket makes the caller wait for its turn; a promise with Redis.
   * INVALID_CONFIG (at `userId`) for a user id that is neither a string nor undefined.
   */
  checkRateLimit(operationName: string, userId: string | undefined): void | Promise<void> {
    return this.gate.check(operationName, userId);
  }

  /** The call's decision now, the tightest scope's, read without consuming (for the `RateLimit` headers). */
  rateLimitDecision(operationName: string, userId: string | undefined): CallRateLimit | undefined {
    return this.gate.decision(operationName, userId);
  }

  /** Throws RESOURCE_EXHAUSTED when a sampled value (plus this call's memory estimate) exceeds its limit. */
  checkResourceLimits(estimatedMemoryBytes = 0): void {
    const usage = this.resourceUsage;
    const limits = this.resourceLimits;
    if (limits.maxMemoryBytes !== undefined && usage.memoryBytes + estimatedMemoryBytes > limits.maxMemoryBytes) {
      throw new ResourceExhaustedError('memory', usage.memoryBytes + estimatedMemoryBytes, limits.maxMemoryBytes);
    }
    if (limits.maxCpuPercent !== undefined && usage.cpuPercent > limits.maxCpuPercent) {
      throw new ResourceExhaustedError('cpu', Math.round(usage.cpuPercent * 100) / 100, limits.maxCpuPercent);
    }
    if (limits.maxEventLoopDelayMs !== undefined && usage.eventLoopDelayMs > limits.maxEventLoopDelayMs) {
      throw new ResourceExhaustedError('event_loop_delay', Math.round(usage.eventLoopDelayMs * 100) / 100, limits.maxEventLoopDelayMs);
    }
  }

  /** An operation permit now, or undefined when none is free (or callers are already waiting). */
  tryAcquireOperationPermit(): OperationPermit | undefined {
    return this.operationPermits.tryAcquire();
  }

  /** An operation permit, waiting up to `permitTimeoutMs`; BULKHEAD_REJECTED when none comes, ABORTED on abort. */
  acquireOperationPermit(signal?: AbortSignal): Promise<OperationPermit> {
    return this.operationPermits.acquire(signal);
  }

  /** A database connection slot, waiting up to `dbConnectionTimeoutMs`; RESOURCE_EXHAUSTED (`db_connections`) when none. */
  acquireDbConnection(signal?: AbortSignal): Promise<DatabaseConnection> {
    return this.connectionPool.acquire(signal);
  }

  /** Sets (or with null removes) the limit of one operation. INVALID_CONFIG names the bad field. */
  configureOperationRateLimit(operationName: string, config: RateLimiterConfigInput | null): void {
    if (typeof operationName !== 'string' || operationName.length === 0 || operationName.length > 256) {
      throw new InvalidConfigError('operationName', 'must be a string of 1 to 256 characters');
    }
    const policy = config === null ? null : parseSection(rateLimiterConfigSchema, config, `rateLimiting.perOperation.${operationName}`);
    this.gate.configureOperation(operationName, policy);
  }

  /** Sets (or with null removes) the global limit or the `perUser` policy; a new policy starts with a full allowance. */
  configureDefaultRateLimit(scope: 'global' | 'user', config: RateLimiterConfigInput | null): void {
    const path = scope === 'global' ? 'rateLimiting.global' : 'rateLimiting.perUser';
    this.gate.configureDefault(scope, config === null ? null : parseSection(rateLimiterConfigSchema, config, path));
  }

  /** Sets (or with null removes) one user's own limit, which replaces the `perUser` policy for that user. */
  configureUserRateLimit(userId: string, config: RateLimiterConfigInput | null): void {
    if (typeof userId !== 'string') throw new InvalidConfigError('userId', 'must be a string');
    if (config !== null && this.gate.overrideCount >= this.rateLimiting.maxTrackedUsers) {
      throw new InvalidConfigError(
        'userId',
        `at most ${this.rateLimiting.maxTrackedUsers} users (maxTrackedUsers) may have their own limit`,
      );
    }
    const policy = config === null ? null : parseSection(rateLimiterConfigSchema, config, 'rateLimiting.perUser');
    this.gate.configureUser(userId, policy);
  }

  /** Decision counts per scope and operation, tracked users, evictions and store state, as plain JSON. */
  getRateLimitStats(): RateLimitStats {
    const details = this.built.memory === this.built.store ? undefined : this.storeStatus();
    return rateLimitStats(this.gate, {
      enabled: this.rateLimiting.enabled,
      state: this.storeState(),
      details,
      users: this.built.memory?.users,
      storeFailures: this.storeFailures(),
    });
  }

  /**
   * The in-memory limiters' state, for a checkpoint at SaveState (`createProductionSystem` saves it as
   * `rate_limiting`), or undefined when the limits live in a shared store (which keeps them itself).
   */
  exportState(): LimiterState | undefined {
    const memory = this.built.memory;
    return memory !== undefined && memory === this.built.store ? memory.exportState() : undefined;
  }

  /**
   * Restores `exportState`'s output (a checkpoint of the last run) into limiters with the same policy, so a
   * restart does not hand every user a fresh allowance. Time since the checkpoint counts as time passed.
   * INVALID_CONFIG at `rateLimitState` for state that is not such an object. Returns the cells restored.
   */
  restoreState(state: unknown): number {
    const memory = this.built.memory;
    if (state === undefined || state === null || memory === undefined || memory !== this.built.store) return 0;
    return memory.restoreState(state);
  }

  /** Current and peak resource use and the limits, as plain JSON. */
  getResourceUsage(): ResourceUsageReport {
    const usage = this.syncUsage().toJSON();
    const l = this.resourceLimits;
    return {
      ...usage,
      waitingForPermit: this.operationPermits.waiting,
      waitingForDbConnection: this.connectionPool.waiting,
      permitsRefused: this.operationPermits.refused,
      dbConnectionsRefused: this.connectionPool.refused,
      limits: {
        maxMemoryBytes: l.maxMemoryBytes ?? null,
        memoryMeasure: l.memoryMeasure,
        maxCpuPercent: l.maxCpuPercent ?? null,
        maxActiveOperations: l.maxActiveOperations,
        maxDbConnections: l.maxDbConnections,
        maxEventLoopDelayMs: l.maxEventLoopDelayMs ?? null,
      },
    };
  }

  /** Plain JSON health: `healthy` false when a resource limit is exceeded or the store is not on Redis. */
  healthCheck(): LimitsHealth {
    let exceeded: ResourceName | null = null;
    try {
      this.checkResourceLimits();
    } catch (error) {
      exceeded = (error as ResourceExhaustedError).resource;
    }
    const state = this.storeState();
    return {
      healthy: exceeded === null && state !== 'fallback',
      status: exceeded !== null ? 'critical' : state === 'fallback' ? 'warning' : 'healthy',
      exceededResource: exceeded,
      store: this.storeStatus(),
      rateLimiting: { enabled: this.rateLimiting.enabled, active: this.gate.active, trackedUsers: this.built.memory?.users?.size ?? 0 },
      resources: this.getResourceUsage(),
    };
  }

  /**
   * The process's shared-state store (the configured Redis or Redis Cluster store's client, its key prefix
   * and reply timeout), which shared circuit breakers use too; undefined when the limits are kept in memory
   * or in a store of the caller's own.
   */
  sharedStateStore(): SharedStateStore | undefined {
    const primary = this.built.owned ? this.built.fallback?.primary : undefined;
    if (!(primary instanceof RedisRateLimitStore)) return undefined;
    const client = primary.redisClient;
    if (client === undefined) return undefined;
    return { type: primary.type, client, keyPrefix: primary.keyPrefix, timeoutMs: primary.config.timeoutMs };
  }

  /** Resolves once the shared store is connected (at once in memory); rejects after its connect timeout. */
  async connect(): Promise<void> {
    await this.built.store.ready?.();
  }

  /** Takes a resource sample now (the timer does this every `sampleIntervalMs`). */
  sampleResources(): void {
    this.resourceUsage.sample();
  }

  /** Stops the sampler and metrics, refuses waiters, closes Redis. Idempotent. */
  shutdown(): Promise<void> {
    this.stopped ??= this.stop();
    return this.stopped;
  }

  private async stop(): Promise<void> {
    if (this.sampler !== undefined) clearInterval(this.sampler);
    this.sampler = undefined;
    this.metrics?.unregister();
    this.probe.close();
    this.gate.close();
    this.operationPermits.close();
    this.connectionPool.close();
    if (this.built.owned) await this.built.store.close?.();
  }

  private storeStatus(): RateLimitStoreStatus {
    return { ...(this.built.store.status?.() ?? { type: this.built.store.type, state: 'custom', healthy: true }) };
  }

  private storeState(): StoreState {
    return this.built.store.status?.().state ?? 'custom';
  }

  private storeFailures(): StoreFailures {
    return this.built.fallback?.decidedWithout ?? { fail_open: 0, fail_closed: 0, local_fallback: 0 };
  }

  private syncUsage(): ResourceUsage {
    const usage = this.resourceUsage;
    usage.activeOperations = this.operationPermits.inUse;
    usage.peakOperations = this.operationPermits.peak;
    usage.databaseConnections = this.connectionPool.inUse;
    usage.peakDatabaseConnections = this.connectionPool.peak;
    return usage;
  }

  // A timer callback: a throw here (EMFILE from process.memoryUsage.rss() when the file table is full) would
  // end the process, so it is counted in production.internal.errors and the next tick tries again.
  private readonly tick = guarded('resource_sampler', (): void => {
    this.resourceUsage.sample();
    this.built.memory?.sweep(SWEEP_BUDGET);
  });
}
