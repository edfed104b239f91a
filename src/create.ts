import { startAdminServer, type AdminServerAddress } from './admin.js';
import {
  misspelledEnvVariables,
  resolveConfig,
  productionConfigSchema,
  type ProductionConfig,
  type ProductionConfigInput,
} from './config.js';
import { configFilePathFromEnv, readConfigFile, validateConfigFile, type ConfigFile } from './config/file.js';
import { deprecationMessage, type ConfigDeprecation } from './config/operations.js';
import { applyReload } from './config/apply.js';
import { ConfigReloader, type ConfigFileStatus, type ReloadResult } from './config/reload.js';
import { HealthCheckSystem } from './health/index.js';
import { registerBuiltInChecks } from './health/builtins.js';
import { RateLimitingManager, type RateLimitingManagerOptions } from './limits/index.js';
import { ProductionMonitor } from './monitoring/index.js';
import type { Engine } from './pipeline.js';
import { ErrorRecoveryManager } from './recovery/index.js';
import type { OperationPatch } from './recovery/manager.js';
import { OverloadManager, type OverloadManagerOptions } from './overload/index.js';
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
  private reloader: ConfigReloader | undefined;

  /**
   * Makes `file` the configuration file this system reloads (`createProductionSystem` calls it when a file is
   * used): on a change of the file (when `watch`), on SIGHUP (unless it is a shutdown signal) and on
   * {@link StandardProductionSystem.reloadConfigFile}, the file is resolved again beneath `env` and `input`
   * (the code's config), and applied at once or rejected whole. Stopped at shutdown.
   */
  useConfigFile(file: ConfigFile, options: { input: ProductionConfigInput; env: NodeJS.ProcessEnv; watch: boolean }): void {
    if (this.reloader !== undefined) throw new Error('The system already has a configuration file');
    const running = (): ProductionConfig => this.config;
    const reloader = new ConfigReloader(file, {
      get config() {
        return running();
      },
      resolve: (next) => resolveSources(options.input, { env: options.env, configFile: next }).config,
      apply: (next) => {
        applyReload(this.components, this.config, next);
        this.config = next;
        this.forgetOperationRuntimes();
      },
      log: (level, message) => this.components.monitor.log(level, 'config', 'reload', message),
    });
    this.reloader = reloader;
    this.configFileStatus = () => reloader.status();
    if (options.watch) reloader.start(this.config.shutdown.signals.includes('SIGHUP'));
    this.components.shutdown.registerHandler(
      'config_file',
      createCleanupHandler(() => reloader.close(), { step: 'initiate' }),
      { priority: PRIORITY.readiness },
    );
  }

  /** The configuration file's path, hash, applied time and reloads; null when the system has none. */
  getConfigFileStatus(): ConfigFileStatus | null {
    return this.reloader?.status() ?? null;
  }

  /**
   * Reads the configuration file again and applies it when it changed (what a change of the file or SIGHUP
   * does). A rejected file keeps the running configuration; the result says why. Never throws.
   */
  reloadConfigFile(): ReloadResult {
    if (this.reloader === undefined) return { outcome: 'rejected', message: 'the system has no configuration file' };
    return this.reloader.reload();
  }

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
  /** Overload control's collaborators: the event loop's lag source and the random source of refusals. */
  overload?: Pick<OverloadManagerOptions, 'loopLag' | 'random'>;
  /**
   * The YAML or JSON file holding the configuration (beneath the environment and `config`): a path (relative to
   * the working directory), a file already read, or false for none. Default: `PRODUCTION_CONFIG_FILE` of `env`.
   */
  configFile?: string | ConfigFile | false;
  /**
   * Reload the configuration file when it changes and on SIGHUP (unless SIGHUP is a shutdown signal). Default
   * true when a file is used.
   */
  watchConfigFile?: boolean;
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
  const env = options.env ?? process.env;
  const sources = resolveSources(config, options);
  const system = build(engine, sources.config, options);
  warnMisspelledVariables(system.components.monitor, env);
  for (const deprecation of sources.deprecations)
    system.components.monitor.log('warn', 'config', 'deprecated', deprecationMessage(deprecation));
  if (sources.file !== undefined) {
    system.useConfigFile(sources.file, { input: config, env, watch: options.watchConfigFile ?? true });
  }
  return system;
}

/** One warning per `PRODUCTION_*` variable that is no setting but close to one: it is ignored otherwise. */
function warnMisspelledVariables(monitor: ProductionMonitor, env: NodeJS.ProcessEnv): void {
  for (const { name, closest } of misspelledEnvVariables(env)) {
    monitor.log('warn', 'config', 'env', `${name} is not a setting and is ignored: did you mean ${closest}?`, {
      'production.config.variable': name,
      'production.config.closest': closest,
    });
  }
}

/** What the system is built from: the config resolved over the file's layer, the file, the deprecations seen. */
export interface ResolvedSources {
  readonly config: ProductionConfig;
  readonly file: ConfigFile | undefined;
  readonly deprecations: readonly ConfigDeprecation[];
}

/**
 * Reads and validates the configuration file (named by `options.configFile`, else `PRODUCTION_CONFIG_FILE`), then
 * resolves the whole config over it: defaults < file < environment < code. INVALID_CONFIG names the file, the
 * field and its line for a bad file.
 */
export function resolveSources(
  config: ProductionConfigInput,
  options: Pick<CreateProductionSystemOptions, 'env' | 'configFile'>,
): ResolvedSources {
  const env = options.env ?? process.env;
  const named = options.configFile ?? configFilePathFromEnv(env) ?? false;
  const file = named === false ? undefined : typeof named === 'string' ? readConfigFile(named) : named;
  if (file !== undefined) validateConfigFile(file, productionConfigSchema);
  const deprecations: ConfigDeprecation[] = [];
  return { config: resolveConfig(config, env, { file: file?.values, deprecations }), file, deprecations };
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
  const overload = new OverloadManager(config.overload, config.dependencies, { ...options.overload });
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
  // The `operations:` section's recovery fields (its rate limits and overload settings went to their sections).
  const operations = new Map(Object.entries(config.operations) as [string, OperationPatch][]);
  if (operations.size > 0) recovery.reconfigure(config.errorRecovery.defaults, operations, config.dependencies);
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
