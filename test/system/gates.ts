import { resolveConfig, type ProductionConfigInput } from '../../src/config.js';
import { createGuard, type Guard } from '../../src/guard.js';
import { HealthCheckSystem } from '../../src/health/index.js';
import { RateLimitingManager } from '../../src/limits/index.js';
import type { LogEntry } from '../../src/monitoring/index.js';
import { ProductionMonitor } from '../../src/monitoring/index.js';
import { ErrorRecoveryManager } from '../../src/recovery/index.js';
import { createCleanupHandler, GracefulShutdownManager } from '../../src/shutdown/index.js';
import { ProductionSystem } from '../../src/system.js';
import type { Clock } from '../../src/internal/time.js';

/** What {@link observedSystem} builds on. */
export interface ObservedSystemOptions {
  /** Merged over the defaults below (fast retries, no default alert rules). */
  readonly config?: ProductionConfigInput;
  /** The rate limiters' monotonic clock; a constant one makes `retryAfterMs` exact. */
  readonly limitsClock?: Clock;
}

/**
 * A `ProductionSystem` on the real components, wired as `createProductionSystem` wires them (the monitor is
 * every component's logger; shutdown cleans each up), on the test's own OTel SDK. Two things differ: there is
 * no telemetry flush at shutdown (it would shut the test's providers down), and the entry points of steps 1 to 5
 * are observed, each noted in `steps` when called and when its guard is released, so the pipeline's order is
 * checked on the components that really run it.
 */
export function observedSystem(options: ObservedSystemOptions = {}) {
  const { errorRecovery, monitoring, ...rest } = options.config ?? {};
  const config = resolveConfig(
    {
      ...rest,
      errorRecovery: { ...errorRecovery, defaults: { retry: { baseDelayMs: 1, jitterFactor: 0 }, ...errorRecovery?.defaults } },
      monitoring: { defaultAlertRules: false, ...monitoring },
    },
    {},
  );
  const monitor = new ProductionMonitor(config.monitoring);
  const recovery = new ErrorRecoveryManager(config.errorRecovery);
  const limits = new RateLimitingManager(config.rateLimiting, config.resourceLimits, {
    logger: monitor,
    ...(options.limitsClock ? { clock: options.limitsClock } : {}),
  });
  const shutdown = new GracefulShutdownManager(config.shutdown, { logger: monitor, exit: () => undefined });
  const health = new HealthCheckSystem(config.healthChecks, { logger: monitor, isShuttingDown: () => !shutdown.isReady() });
  shutdown.registerHandler(
    'error_recovery',
    createCleanupHandler(() => recovery.shutdown()),
  );
  shutdown.registerHandler(
    'rate_limiting',
    createCleanupHandler(() => limits.shutdown()),
  );
  shutdown.registerHandler(
    'health_checks',
    createCleanupHandler(() => health.shutdown()),
  );
  shutdown.registerHandler(
    'monitoring',
    createCleanupHandler(() => monitor.shutdown()),
    { priority: 900 },
  );

  const steps: string[] = [];
  const noting = (guard: Guard, released: string): Guard =>
    createGuard(() => {
      steps.push(released);
      guard.release();
    });
  const track = shutdown.trackActiveRequest.bind(shutdown);
  shutdown.trackActiveRequest = () => {
    steps.push('1 shutdown check');
    const guard = track();
    steps.push('2 track request');
    return noting(guard, 'release request');
  };
  const checkRateLimit = limits.checkRateLimit.bind(limits);
  limits.checkRateLimit = (operation, userId) => {
    steps.push(`3 rate limit ${operation} ${userId}`);
    return checkRateLimit(operation, userId);
  };
  const checkResourceLimits = limits.checkResourceLimits.bind(limits);
  limits.checkResourceLimits = (bytes) => {
    steps.push(`4 resources ${bytes}`);
    checkResourceLimits(bytes);
  };
  const tryAcquire = limits.tryAcquireOperationPermit.bind(limits);
  limits.tryAcquireOperationPermit = () => {
    steps.push('5 permit');
    const permit = tryAcquire();
    return permit && noting(permit, 'release permit');
  };

  // The system gives the monitor its active-operations source, as in createProductionSystem.
  const system = new ProductionSystem({}, config, { recovery, limits, shutdown, monitor, health });
  return {
    system,
    steps,
    /** What the monitor logged, oldest first (its recent-logs ring, at its level: info and up). */
    logs: (): LogEntry[] => monitor.getRecentLogs().reverse(),
    /** Requests the shutdown manager counts in flight and permits the limits count in use. */
    held: () => ({
      requests: shutdown.getShutdownProgress().activeRequests,
      permits: limits.getResourceUsage().activeOperations,
    }),
  };
}
