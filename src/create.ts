import { startAdminServer, type AdminServerAddress } from './admin.js';
import { resolveConfig, type ProductionConfig, type ProductionConfigInput } from './config.js';
import { HealthCheckSystem } from './health/index.js';
import { registerBuiltInChecks } from './health/builtins.js';
import { RateLimitingManager, type RateLimitingManagerOptions } from './limits/index.js';
import { ProductionMonitor } from './monitoring/index.js';
import type { Engine } from './pipeline.js';
import { ErrorRecoveryManager } from './recovery/index.js';
import { OverloadManager } from './overload/index.js';
import { ensureEmbeddedTelemetry, type EmbeddedTelemetry, type EmbeddedTelemetryOptions } from './sdk/embedded.js';
import {
  GracefulShutdownManager,
  TELEMETRY_FLUSH_PRIORITY,
  createCleanupHandler,
  createTelemetryFlushHandler,
  type GracefulShutdownOptions,
} from './shutdown/index.js';
import type { AdminServerConfigInput } from './http/server.js';
import { ProductionSystem } from './system.js';

/** The components `createProductionSystem` builds, with their full types. */
export interface StandardComponents {
  readonly recovery: ErrorRecoveryManager;
  readonly limits: RateLimitingManager;
  readonly shutdown: GracefulShutdownManager;
  readonly monitor: ProductionMonitor;
  readonly health: HealthCheckSystem;
  readonly overload: OverloadManager;
}

/** A system as `createProductionSystem` returns it: the standard components, and an admin server to start. */
export class StandardProductionSystem<E extends Engine = Engine> extends ProductionSystem<E, StandardComponents> {
  private adminServer: Promise<AdminServerAddress> | undefined;

  /**
   * Starts the admin server (`/metrics`, `/livez`, `/readyz`, `/health`, `/status`), by default on
   * 127.0.0.1:9464 from the `admin` config, and registers it to stop listening at shutdown.
   */
  async startAdminServer(overrides: AdminServerConfigInput = {}): Promise<AdminServerAddress> {
    if (this.adminServer) throw new Error('The admin server is already started');
    this.adminServer = startAdminServer(this, overrides).then(({ address }) => address);
    try {
      return await this.adminServer;
    } catch (error) {
      // It never listened: a later call may try again (another port, once the address is free).
      this.adminServer = undefined;
      throw error;
    }
  }
}

/** Options of {@link createProductionSystem} beyond the config. */
export interface CreateProductionSystemOptions {
  /** Where `PRODUCTION_*` overrides are read from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Options of the embedded OTel setup, used only when the application registered no providers. */
  telemetry?: EmbeddedTelemetryOptions;
  /** Collaborators of the shutdown manager (an exit function for tests, a checkpoint store). */
  shutdown?: GracefulShutdownOptions;
  /** Start the background health runners (default true when health checks are enabled). */
  startHealthChecks?: boolean;
  /** The rate limits' store collaborators: an ioredis client or Cluster, or a store of your own. */
  limits?: Pick<RateLimitingManagerOptions, 'redisClient' | 'store'>;
}

// Lower runs first: readiness goes first, telemetry last.
const PRIORITY = { readiness: 0, state: 100, components: 500, monitoring: 900 } as const;

/** Component name under which breaker state is checkpointed at SaveState and restored at start-up. */
export const BREAKER_CHECKPOINT = 'error_recovery';

/** Component name under which the in-memory rate limiters' state is checkpointed and restored. */
export const RATE_LIMIT_CHECKPOINT = 'rate_limiting';

/**
 * Creates the production layer around `engine` with default configuration, overridden by `PRODUCTION_*`
 * variables, overridden by `config`. Validates everything once (INVALID_CONFIG names the field), sets up the
 * embedded OTel providers when the application has none, registers the built-in health checks and
 * shutdown handlers, and restores breaker state from the latest checkpoint when a checkpoint directory is set.
 */
export function createProductionSystem<E extends Engine>(
  engine: E,
  config: ProductionConfigInput = {},
  options: CreateProductionSystemOptions = {},
): StandardProductionSystem<E> {
  return build(engine, resolveConfig(config, options.env ?? process.env), options);
}

/** The seed's `create_production_system_with_config`: the same, with the config given explicitly. */
export function createProductionSystemWithConfig<E extends Engine>(
  engine: E,
  config: ProductionConfigInput,
  options: CreateProductionSystemOptions = {},
): StandardProductionSystem<E> {
  return createProductionSystem(engine, config, options);
}

function build<E extends Engine>(engine: E, config: ProductionConfig, options: CreateProductionSystemOptions): StandardProductionSystem<E> {
  // Telemetry first: the metrics API has no proxy, so a meter taken before a provider exists stays a no-op.
  const telemetry: EmbeddedTelemetry = ensureEmbeddedTelemetry({
    cardinalityLimit: config.monitoring.cardinalityLimit,
    maxIncomingDeadlineMs: config.deadlines.maxIncomingMs,
    ...options.telemetry,
  });
  const monitor = new ProductionMonitor(config.monitoring);
  const overload = new OverloadManager(config.overload, config.dependencies);
  const limits = new RateLimitingManager(config.rateLimiting, config.resourceLimits, { logger: monitor, ...options.limits });
  // Shared circuit breakers use the process's shared-state store: the rate limits' Redis (Cluster) client.
  const sharedStateStore = limits.sharedStateStore();
  let recovery: ErrorRecoveryManager;
  try {
    recovery = new ErrorRecoveryManager(config.errorRecovery, {
      enabled: config.errorRecoveryEnabled,
      dependencies: config.dependencies,
      deadlineMarginMs: config.deadlines.marginMs,
      throttleFor: (dependency) => overload.throttleFor(dependency),
      sharedStateStore,
    });
  } catch (error) {
    // INVALID_CONFIG (a shared breaker without the store): close the Redis client the limits opened.
    void limits.shutdown();
    overload.shutdown();
    throw error;
  }
  const shutdown = new GracefulShutdownManager(config.shutdown, { logger: monitor, ...options.shutdown });
  const health = new HealthCheckSystem(config.healthChecks, { logger: monitor, isShuttingDown: () => !shutdown.isReady() });
  registerBuiltInChecks(health, {
    engine,
    config: config.healthChecks,
    openBreakers: () => recovery.openBreakers(),
    ...(config.rateLimiting.store.type !== 'memory' || options.limits?.store !== undefined
      ? { rateLimiterStore: () => limits.healthCheck() }
      : {}),
  });

  shutdown.registerHandler(
    'health',
    createCleanupHandler(() => health.setNotReady('shutting down'), { step: 'initiate' }),
    { priority: PRIORITY.readiness },
  );
  shutdown.registerHandler(
    BREAKER_CHECKPOINT,
    {
      saveState: () => recovery.exportBreakerState(),
      cleanup: () => recovery.shutdown(),
    },
    { priority: PRIORITY.state },
  );
  shutdown.registerHandler(
    RATE_LIMIT_CHECKPOINT,
    { saveState: () => limits.exportState() ?? null, cleanup: () => limits.shutdown() },
    { priority: PRIORITY.components },
  );
  shutdown.registerHandler(
    'overload',
    createCleanupHandler(() => overload.shutdown()),
    { priority: PRIORITY.components },
  );
  shutdown.registerHandler(
    'health_checks',
    createCleanupHandler(() => health.shutdown()),
    { priority: PRIORITY.components },
  );
  shutdown.registerHandler(
    'monitoring',
    createCleanupHandler(() => monitor.shutdown()),
    { priority: PRIORITY.monitoring },
  );
  const flush = createTelemetryFlushHandler();
  shutdown.registerHandler(
    'telemetry',
    {
      // Flush whatever providers are registered (ours or the application's), then release the embedded lease.
      async finalize(signal) {
        try {
          await flush.finalize?.(signal);
        } finally {
          await telemetry.shutdown();
        }
      },
    },
    { priority: TELEMETRY_FLUSH_PRIORITY },
  );

  const system = new StandardProductionSystem(engine, config, { recovery, limits, shutdown, monitor, health, overload });
  if (config.healthChecks.enabled && options.startHealthChecks !== false) health.start();
  if (config.shutdown.checkpointDir !== undefined) {
    system.ready = restoreFromCheckpoint(system).then(
      () => undefined,
      (error: unknown) => monitor.log('error', 'shutdown', 'restore', `Could not restore the checkpoints: ${String(error)}`),
    );
  }
  return system;
}

/**
 * Restores breaker state and the in-memory rate limiters' state from the latest checkpoints (written at the
 * last SaveState), so a restart neither forgets an open circuit nor hands every user a fresh allowance.
 * Resolves to true when a checkpoint was applied.
 */
export async function restoreFromCheckpoint(system: ProductionSystem<Engine, StandardComponents>): Promise<boolean> {
  const { shutdown, recovery, limits } = system.components;
  const [breakers, rateLimits] = await Promise.all([
    shutdown.loadLatestCheckpoint<Record<string, unknown>>(BREAKER_CHECKPOINT),
    shutdown.loadLatestCheckpoint<unknown>(RATE_LIMIT_CHECKPOINT),
  ]);
  if (breakers !== undefined) recovery.restoreBreakerState(breakers.state);
  if (rateLimits !== undefined) limits.restoreState(rateLimits.state);
  return breakers !== undefined || rateLimits !== undefined;
}
