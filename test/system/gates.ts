import { createGuard, type Guard } from '../../src/guard.js';
import { RateLimitedError, ShuttingDownError } from '../../src/errors.js';
import { resolveConfig } from '../../src/config.js';
import { ErrorRecoveryManager } from '../../src/recovery/index.js';
import { ProductionSystem, type ProductionComponents } from '../../src/system.js';
import { GracefulShutdownManager } from '../../src/shutdown/index.js';
import { HealthCheckSystem } from '../../src/health/index.js';
import type { LogLevel } from '../../src/pipeline.js';

function notUsed(): never {
  throw new Error('not used');
}

/** Gates that record the order they are called in, to check the pipeline's step order on its own. */
export function recordingSystem(overrides: { rateLimited?: boolean; shuttingDown?: boolean; defaults?: Record<string, unknown>; monitoring?: Record<string, unknown> } = {}) {
  const steps: string[] = [];
  const logs: Array<{ level: LogLevel; message: string; metadata?: Record<string, unknown> }> = [];
  let requests = 0;
  let permits = 0;
  const abandon = new AbortController();
  const config = resolveConfig({ errorRecovery: { defaults: { retry: { baseDelayMs: 1, jitterFactor: 0 }, ...overrides.defaults } }, monitoring: { ...overrides.monitoring } }, {});
  const realShutdown = new GracefulShutdownManager(config.shutdown, { exit: () => undefined });
  const components: ProductionComponents & { recovery: ErrorRecoveryManager } = {
    recovery: new ErrorRecoveryManager(config.errorRecovery),
    shutdown: {
      initiateShutdown: (reason) => realShutdown.initiateShutdown(reason),
      registerHandler: (name, handler, options) => realShutdown.registerHandler(name, handler, options),
      abandonSignal: abandon.signal,
      isShuttingDown: () => overrides.shuttingDown ?? false,
      trackActiveRequest: (): Guard => {
        steps.push('1 shutdown check');
        if (overrides.shuttingDown) throw new ShuttingDownError();
        steps.push('2 track request');
        requests++;
        return createGuard(() => {
          steps.push('release request');
          requests--;
        });
      },
      getShutdownProgress: () => realShutdown.getShutdownProgress(),
    },
    limits: {
      checkRateLimit: (operation, userId) => {
        steps.push(`3 rate limit ${operation} ${userId}`);
        if (overrides.rateLimited) throw new RateLimitedError('user', 250);
      },
      checkResourceLimits: (bytes) => void steps.push(`4 resources ${bytes}`),
      tryAcquireOperationPermit: () => {
        steps.push('5 permit');
        permits++;
        return createGuard(() => {
          steps.push('release permit');
          permits--;
        });
      },
      acquireOperationPermit: () => Promise.reject(new Error('not used')),
      configureOperationRateLimit: () => undefined,
      getRateLimitStats: () => notUsed(),
      getResourceUsage: () => notUsed(),
    },
    monitor: {
      log: (level, _component, _operation, message, metadata) => void logs.push({ level, message, ...(metadata ? { metadata } : {}) }),
      exportPrometheusMetrics: async () => '',
      healthCheck: () => ({ status: 'healthy', problems: [] }),
      countActiveOperations: () => createGuard(() => undefined),
      shutdown: () => undefined,
    },
    health: new HealthCheckSystem(config.healthChecks),
  };
  const system = new ProductionSystem({}, config, components);
  return { system, steps, logs, abandon, held: () => ({ requests, permits }) };
}
