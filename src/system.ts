import { context, type Tracer } from '@opentelemetry/api';
import type { ProductionConfig, OperationConfigInput } from './config.js';
import type { ConfigFileStatus } from './config/reload.js';
import type { SystemHealthReport } from './health/report.js';
import type { HealthStatusSnapshot } from './health/snapshot.js';
import type { RateLimitStats, ResourceUsageReport } from './limits/snapshot.js';
import type { ShutdownHandler, HandlerOptions } from './shutdown/handler.js';
import type { ShutdownProgressSnapshot } from './shutdown/snapshot.js';
import type { ShutdownReport } from './shutdown/report.js';
import { deadlineOf } from './deadlines/context.js';
import { validateDeadlineMs } from './deadlines/wait.js';
import { InvalidConfigError } from './errors.js';
import { systemClock, type Clock } from './internal/time.js';
import type { Guard } from './guard.js';
import type {
  BreakerTransition,
  Engine,
  MonitorComponent,
  OperationContext,
  OperationPolicy,
  RateLimitGate,
  OverloadGate,
  RecoveryListener,
  ResourceGate,
  ShutdownGate,
} from './pipeline.js';
import type { OperationPatch } from './recovery/manager.js';
import type { BreakerStatus, OwnedRetryBudgetStatus, RecoveryHealth } from './recovery/snapshot.js';
import type { OperationOverloadInput } from './overload/config.js';
import { parseDependency, type DependencyConfig, type DependencyConfigInput } from './dependencies/config.js';
import { createDependencyFetch, type DependencyFetch, type DependencyFetchOptions } from './outgoing/dependency-fetch.js';
import type { OperationRecoveryConfig } from './recovery/config.js';
import type { OverloadStatus } from './overload/snapshot.js';
import { badId, MAX_ID_LENGTH, type ProtectedOperationOptions } from './call-options.js';
import {
  AdmissionStage,
  DeadlineStage,
  PermitStage,
  RateLimitStage,
  RecoveryStage,
  ResourceStage,
  ShutdownStage,
  OperationRuntime,
  chain,
  type ProtectedCall,
} from './stages/index.js';
import { getTracer } from './telemetry/api.js';
import { CorrelationIdRejections, resolveCorrelationId } from './telemetry/correlation.js';
import { ATTR } from './telemetry/names.js';
import { OperationAttributes, PipelineTelemetry } from './telemetry/pipeline-telemetry.js';

export { MAX_ID_LENGTH, type ProtectedOperationOptions } from './call-options.js';

/** The components behind the seven steps; `createProductionSystem` builds the real ones. */
export interface ProductionComponents {
  readonly recovery: {
    policyFor(operationName: string): OperationPolicy;
    configureOperation(operationName: string, config: OperationPatch): void;
    getOperationConfig(operationName: string): OperationRecoveryConfig;
    /** Declares a named dependency or replaces its settings (validated); operations naming it pick them up. */
    configureDependency(name: string, config: DependencyConfig): void;
    declaresDependency(name: string): boolean;
    addListener(listener: RecoveryListener): Guard;
    onBreakerTransition(listener: (event: BreakerTransition) => void): Guard;
    breakerStates(): readonly BreakerStatus[];
    retryBudgets(): readonly OwnedRetryBudgetStatus[];
    healthCheck(): RecoveryHealth;
  };
  readonly limits: RateLimitGate &
    ResourceGate & {
      configureOperationRateLimit(operationName: string, config: OperationConfigInput['rateLimit'] | null): void;
      getRateLimitStats(): RateLimitStats;
      getResourceUsage(): ResourceUsageReport;
    };
  readonly shutdown: ShutdownGate & {
    getShutdownProgress(): ShutdownProgressSnapshot;
    initiateShutdown(reason?: string): Promise<ShutdownReport>;
    registerHandler(name: string, handler: ShutdownHandler, options?: HandlerOptions): void;
  };
  readonly monitor: MonitorComponent;
  readonly health: {
    getHealthStatus(): HealthStatusSnapshot;
    performFullHealthCheck(): Promise<SystemHealthReport>;
  };
  /** Overload control (adaptive limits, criticality, throttling); without it step 5 is the fixed permit alone. */
  readonly overload?: OverloadGate & {
    configureOperation(operationName: string, config: OperationOverloadInput): void;
    configureDependency(name: string, config: DependencyConfig): void;
    getOverloadStatus(): OverloadStatus;
  };
}

/**
 * `getSystemStatus()`: one key per component (named as the config's sections), every key camelCase. The
 * seed's `get_system_status` returned a map of JSON values; here each value has a declared type.
 */
export interface SystemStatus<C extends ProductionComponents = ProductionComponents> {
  readonly system: {
    readonly uptimeSeconds: number;
    /** ISO time the system was created. */
    readonly startedAt: string;
    readonly shuttingDown: boolean;
    readonly activeOperations: number;
    readonly errorRecoveryEnabled: boolean;
  };
  readonly errorRecovery: RecoveryHealth;
  /** Retry budgets per dependency (and per operation that has its own). */
  readonly retryBudgets: readonly OwnedRetryBudgetStatus[];
  readonly rateLimiting: RateLimitStats;
  readonly resources: ResourceUsageReport;
  readonly health: HealthStatusSnapshot;
  /** The monitor's own health (`ProductionMonitor`'s is a `MonitorHealth`). */
  readonly monitoring: ReturnType<C['monitor']['healthCheck']>;
  readonly shutdown: ShutdownProgressSnapshot;
  /** Adaptive limits, in-flight counts, shedding by class and throttle probabilities; null without overload control. */
  readonly overload: OverloadStatus | null;
  /** The configuration file: its path, hash, the time it was applied and the reloads; null without one. */
  readonly configFile: ConfigFileStatus | null;
}

/** Options of {@link ProductionSystem} beyond its components. */
export interface ProductionSystemOptions {
  /** Clock of call durations (monotonic) and the status's start time (wall); default the system clock. */
  readonly clock?: Clock;
}

/**
 * The production layer around one engine: every call through `executeProtectedOperation` passes the seven
 * steps of the seed in order, inside one OTel span.
 */
export class ProductionSystem<E extends Engine = Engine, C extends ProductionComponents = ProductionComponents> {
  private readonly runtimes = new Map<string, OperationRuntime>();
  private readonly tracer: Tracer = getTracer();
  private readonly telemetry: PipelineTelemetry;
  private readonly correlationRejections = new CorrelationIdRejections();
  private readonly startedAt: number;
  private readonly clock: Clock;
  /** The configuration file's status, when the system has one (`createProductionSystem` sets it). */
  protected configFileStatus: (() => ConfigFileStatus) | undefined;
  /** Resolves once start-up work (restoring checkpointed breaker state) is done; never rejects. */
  ready: Promise<void> = Promise.resolve();

  constructor(
    /** The engine this layer protects. */
    readonly engine: E,
    /** The validated configuration in force (a configuration reload replaces it). */
    public config: ProductionConfig,
    /** The components behind the steps. */
    readonly components: C,
    options: ProductionSystemOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.startedAt = this.clock.wall();
    this.telemetry = new PipelineTelemetry(components.monitor, {
      exemplars: config.monitoring.exemplars,
      exemplarSeries: config.monitoring.cardinalityLimit,
      logSummaryIntervalMs: config.monitoring.logSummaryIntervalMs,
    });
    // Pending log summaries are written before the telemetry flush; the summary timer stops.
    components.shutdown.registerHandler('operation_logs', { cleanup: () => this.telemetry.close() }, { priority: 800 });
    this.telemetry.observe({
      activeOperations: () => [...this.runtimes].map(([name, runtime]) => [name, runtime.active] as const),
      breakerStates: () => components.recovery.breakerStates(),
      retryBudgets: () => components.recovery.retryBudgets(),
    });
    components.recovery.addListener(this.telemetry);
    components.recovery.onBreakerTransition((event) => this.telemetry.onBreakerTransition(event));
    // The monitor's system stats count the operations in flight here.
    components.monitor.countActiveOperations(() => this.activeOperationCount());
  }

  /**
   * Runs `operation` with full protection: (1) shutdown check, (2) active-request tracking, (3) rate limits,
   * (4) resource limits, (5) an operation permit, (6) error recovery (breaker, retry, timeout, bulkhead),
   * (7) monitoring. Refusals throw typed errors (`SHUTTING_DOWN`, `RATE_LIMITED`, `RESOURCE_EXHAUSTED`,
   * `BULKHEAD_REJECTED`, `CIRCUIT_OPEN`, `TIMEOUT`); the operation's own error is rethrown as it was.
   */
  executeProtectedOperation<T>(
    operationName: string,
    userId: string | undefined,
    operation: (ctx: OperationContext) => Promise<T>,
    options?: ProtectedOperationOptions,
  ): Promise<T> {
    // Not async: the call's setup runs synchronously and its state lives on `call`, so no async frame holds
    // it; an error here is a rejection all the same.
    try {
      if (typeof operation !== 'function') throw new InvalidConfigError('operation', 'must be a function returning a promise');
      if (userId !== undefined && (typeof userId !== 'string' || userId.length > MAX_ID_LENGTH)) throw badId('userId', userId);
      const runtime = this.runtimes.get(operationName) ?? this.compose(operationName);
      const parent = context.active();
      const start = this.clock.monotonic();
      // The call's deadline: its own, or the caller's (context, request headers) when that is earlier.
      let deadline = deadlineOf(parent);
      if (options?.deadlineMs !== undefined) deadline = Math.min(deadline ?? Infinity, start + validateDeadlineMs(options.deadlineMs));
      const span = this.tracer.startSpan(operationName, runtime.spanOptions, parent);
      const traceId = span.spanContext().traceId;
      // An ID from outside is used only when it is safe to write into headers and logs; else the trace ID.
      const correlationId = resolveCorrelationId(options?.correlationId, parent, traceId, this.correlationRejections.rejected);
      if (span.isRecording()) {
        span.setAttribute(ATTR.correlationId, correlationId);
        if (userId !== undefined) span.setAttribute(ATTR.userId, userId);
      }
      const call: ProtectedCall = {
        operationName,
        userId,
        correlationId,
        span,
        callerSignal: options?.signal,
        abandonSignal: this.components.shutdown.abandonSignal,
        criticality: undefined,
        deadline,
        deadlineSignal: undefined,
        attempts: 0,
        rateLimit: undefined,
        rateLimits: undefined,
        parent,
        options,
        request: undefined,
        slot: undefined,
        permit: undefined,
        admitted: false,
      };
      // Steps 1 to 6, the operation's stages (see `compose`), then 7, monitoring.
      return runtime.run(operation, call, start);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Sets one operation's recovery policies and, with `rateLimit`, its rate limit. Applies to calls that
   * start afterwards; a breaker whose settings did not change keeps its state.
   */
  configureOperation(operationName: string, operationConfig: OperationConfigInput): void {
    const { rateLimit, concurrency, criticality, ...recovery } = operationConfig;
    // Recovery first: it refuses an undeclared `dependency` before anything changes.
    if (Object.keys(recovery).length > 0) this.components.recovery.configureOperation(operationName, recovery);
    if (concurrency !== undefined || criticality !== undefined) {
      if (this.components.overload === undefined) throw new InvalidConfigError('concurrency', 'needs the overload component');
      this.components.overload.configureOperation(operationName, { concurrency, criticality });
    }
    if (rateLimit !== undefined) this.components.limits.configureOperationRateLimit(operationName, rateLimit);
    this.runtimes.delete(operationName);
  }

  /**
   * Declares a dependency (as `dependencies.<name>` does) or replaces its retry budget and throttle at run time;
   * operations naming it take them on their next call, breakers keep their state, unchanged windows stay.
   */
  configureDependency(name: string, config: DependencyConfigInput): void {
    const parsed = parseDependency(name, config);
    const { recovery, overload } = this.components;
    if (parsed.throttle && overload === undefined)
      throw new InvalidConfigError(`dependencies.${name}.throttle`, 'needs the overload component');
    recovery.configureDependency(name, parsed);
    overload?.configureDependency(name, parsed);
    for (const [op, runtime] of this.runtimes) if (recovery.policyFor(op) !== runtime.policy) this.runtimes.delete(op); // replaced policies
  }

  /**
   * A `fetch`-compatible protected client of the declared dependency `name`: each request is the protected
   * operation `options.operation` (default `name`), see {@link createDependencyFetch}. Make it once and reuse it.
   */
  dependencyFetch(name: string, options: DependencyFetchOptions = {}): DependencyFetch {
    const operation = options.operation ?? name;
    if (this.components.recovery.getOperationConfig(operation).dependency !== name)
      this.configureOperation(operation, { dependency: name });
    return createDependencyFetch(this, name, operation, options);
  }

  /** One JSON-serialisable object with a key per component. */
  getSystemStatus(): SystemStatus<C> {
    const { recovery, limits, shutdown, monitor, health } = this.components;
    return {
      system: {
        uptimeSeconds: (this.clock.wall() - this.startedAt) / 1000,
        startedAt: new Date(this.startedAt).toISOString(),
        shuttingDown: shutdown.isShuttingDown(),
        activeOperations: this.activeOperationCount(),
        errorRecoveryEnabled: this.config.errorRecoveryEnabled,
      },
      errorRecovery: recovery.healthCheck(),
      retryBudgets: recovery.retryBudgets(),
      rateLimiting: limits.getRateLimitStats(),
      resources: limits.getResourceUsage(),
      health: health.getHealthStatus(),
      // TypeScript resolves the call on C's constraint; C's own monitor returns this type.
      monitoring: monitor.healthCheck() as ReturnType<C['monitor']['healthCheck']>,
      shutdown: shutdown.getShutdownProgress(),
      overload: this.components.overload?.getOverloadStatus() ?? null,
      configFile: this.configFileStatus?.() ?? null,
    };
  }

  /** Drops every operation's cached policies (a reload changed them): the next call of each takes the new ones. */
  protected forgetOperationRuntimes(): void {
    this.runtimes.clear();
  }

  /** Protected operations in flight right now. */
  activeOperationCount(): number {
    let active = 0;
    for (const runtime of this.runtimes.values()) active += runtime.active;
    return active;
  }

  /** Prometheus text exposition 0.0.4 of every metric, what `GET /metrics` serves a scraper not asking for OpenMetrics. */
  getPrometheusMetrics(): Promise<string> {
    return this.components.monitor.exportPrometheusMetrics();
  }

  /** Runs every health check now and returns the report. */
  getHealthReport(): Promise<SystemHealthReport> {
    return this.components.health.performFullHealthCheck();
  }

  /**
   * Graceful shutdown through every phase (stop accepting, drain, save state, clean up, flush telemetry).
   * Calling it twice returns the same promise.
   */
  shutdown(): Promise<ShutdownReport> {
    return this.components.shutdown.initiateShutdown('manual');
  }

  /**
   * Composes the stages of `operationName`'s calls, once, in the order a call passes them; a stage that does
   * not apply to the operation is left out. Step 7 (monitoring) is `executeProtectedOperation` around them.
   */
  private compose(operationName: string): OperationRuntime {
    const { recovery, limits, shutdown, overload } = this.components;
    const policy = recovery.policyFor(operationName);
    const admission = overload?.admissionFor(operationName);
    const last = new RecoveryStage(policy, admission?.criticality);
    const head = chain(
      [
        new DeadlineStage(() => this.config.deadlines.marginMs, this.clock), // admission by deadline
        new ShutdownStage(shutdown), // 1. shutdown check and 2. active-request tracking
        new RateLimitStage(limits, this.clock), // 3. rate limits: global, operation, user
        new ResourceStage(limits), // 4. resource limits
        admission && new AdmissionStage(admission, overload!.defaultCriticality, this.clock), // 5. adaptive limit by class
        new PermitStage(limits, this.clock), // 5. the fixed operation permit
      ],
      last, // 6. error recovery, in the span's context
    );
    const runtime = new OperationRuntime(head, last, policy, new OperationAttributes(operationName), this.telemetry, this.clock);
    this.runtimes.set(operationName, runtime);
    return runtime;
  }
}
