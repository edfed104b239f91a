import { InvalidConfigError } from '../errors.js';
import { createGuard, type Guard } from '../guard.js';
import { EventEmitter } from '../internal/event.js';
import { reportInternalError } from '../telemetry/internal-errors.js';
import { systemClock, type Clock } from '../internal/time.js';
import { parseSection } from '../internal/validation.js';
import {
  MAX_DEPENDENCIES,
  tooManyDependencies,
  undeclaredDependency,
  type DependenciesConfig,
  type DependencyConfig,
} from '../dependencies/config.js';
import { executeStandalone } from './standalone.js';
import {
  breakerStatuses,
  recoveryHealth,
  sharedBreakerStatuses,
  type BreakerStatus,
  type ErrorRecoveryOptions,
  type RecoveryHealth,
  type RetryEvent,
  type RetrySkippedEvent,
} from './status.js';
import type { BreakerTransition, DependencyThrottle, OperationPolicy, RecoveryListener } from '../pipeline.js';
import { RetryBudgets, type OwnedRetryBudgetStatus } from './retry-budgets.js';
import type { BreakerSnapshot, BreakerState, CircuitBreaker } from './breaker.js';
import {
  operationRecoveryConfigSchema,
  type CircuitBreakerConfig,
  type ErrorRecoveryConfig,
  type OperationRecoveryConfig,
  type RetryConfig,
} from './config.js';
import { OperationRecovery, asBreakerSnapshot, type Operation } from './operation.js';

export type { OperationPatch } from './patch.js';
export type { ErrorRecoveryOptions, BreakerStatus, RecoveryHealth } from './status.js';
import { OperationStats, type OperationStatsSnapshot } from './stats.js';
import { validateOperationName } from './names.js';
import { OperationLayers } from './layers.js';
import { mergePatch, sameSettings, type OperationPatch } from './patch.js';
import type { SharedBreakerStatus } from '../shared-breaker/breaker.js';
import { SharedBreakerHub } from '../shared-breaker/hub.js';

/**
 * Per-operation retry, circuit breaker, bulkhead and timeout on cockatiel, with per-operation statistics
 * (the seed's `ErrorRecoveryManager`). Policies are built once per operation name and cached; `configure*`
 * rebuilds them at run time and keeps the breaker's state when its settings are unchanged.
 */
export class ErrorRecoveryManager {
  private readonly operations = new Map<string, OperationRecovery>();
  private readonly overrides = new Map<string, OperationRecoveryConfig>();
  private readonly stats = new Map<string, OperationStats>();
  private readonly restored = new Map<string, BreakerSnapshot>();
  private readonly transitions = new EventEmitter<BreakerTransition>((error) => reportInternalError('error_recovery', error));
  private readonly clock: Clock;
  private readonly retries = new EventEmitter<RetryEvent>((error) => reportInternalError('error_recovery', error));
  private readonly skipped = new EventEmitter<RetrySkippedEvent>((error) => reportInternalError('error_recovery', error));
  /** Fans recovery events out to every subscribed listener (telemetry is one). */
  private readonly listener: RecoveryListener = {
    onRetry: (call, failedAttempt, delayMs, error) => this.retries.emit({ call, failedAttempt, delayMs, error }),
    onRetrySkipped: (call, failedAttempt, reason, error, budget) => this.skipped.emit({ call, failedAttempt, reason, error, budget }),
  };
  private readonly budgets: RetryBudgets;
  private defaults: OperationRecoveryConfig;
  private readonly layers = new OperationLayers();
  private readonly deadlineMarginMs: number;
  readonly enabled: boolean;
  private readonly throttleFor: ((dependency: string) => DependencyThrottle | undefined) | undefined;
  private dependencies: DependenciesConfig;
  private readonly sharedBreakers: SharedBreakerHub | undefined;

  constructor(
    readonly config: ErrorRecoveryConfig,
    options: ErrorRecoveryOptions = {},
  ) {
    this.enabled = options.enabled ?? true;
    this.clock = options.clock ?? systemClock;
    this.throttleFor = options.throttleFor;
    this.budgets = new RetryBudgets(options.dependencies ?? {}, this.clock);
    this.defaults = config.defaults;
    const dependency = config.defaults.dependency;
    if (dependency !== undefined && !this.budgets.declares(dependency)) {
      throw undeclaredDependency('errorRecovery.defaults.dependency', dependency, this.budgets.declared());
    }
    this.deadlineMarginMs = options.deadlineMarginMs ?? 0;
    this.dependencies = options.dependencies ?? {};
    this.sharedBreakers =
      options.sharedStateStore === undefined ? undefined : new SharedBreakerHub(options.sharedStateStore, { clock: this.clock });
    this.checkShared(config.defaults.circuitBreaker, 'errorRecovery.defaults.circuitBreaker.shared');
    for (const [name, dependency] of Object.entries(this.dependencies)) {
      this.checkShared(dependency.circuitBreaker, `dependencies.${name}.circuitBreaker.shared`);
    }
    if (options.listener) this.addListener(options.listener);
  }

  /** The cached policies of `name`, built on first use. Throws INVALID_CONFIG for a bad or one-too-many name. */
  policyFor(name: string): OperationPolicy {
    return this.policy(name);
  }

  /**
   * Runs `operation` with retry and circuit-breaker protection (the seed's `execute_with_recovery`), as a
   * standalone API: it keeps the statistics itself. `ProductionSystem` uses `policyFor` and records them in
   * its monitoring step.
   */
  async executeWithRecovery<T>(
    operationName: string,
    operation: Operation<T>,
    options: { signal?: AbortSignal; idempotent?: boolean; correlationId?: string; userId?: string; deadlineMs?: number } = {},
  ): Promise<T> {
    return executeStandalone(this.policy(operationName), operationName, operation, options, this.clock);
  }

  /** Sets the retry policy of one operation (`false` turns retries off); unset fields keep their values. */
  configureRetry(operationName: string, config: Partial<RetryConfig> | false): void {
    this.configureOperation(operationName, { retry: config });
  }

  /** Sets the circuit breaker of one operation (`false` turns it off); unset fields keep their values. */
  configureCircuitBreaker(operationName: string, config: Partial<CircuitBreakerConfig> | false): void {
    this.configureOperation(operationName, { circuitBreaker: config });
  }

  /**
   * Merges `config` over the operation's current policies (nested sections field by field), validates the
   * result (INVALID_CONFIG names `operations.<name>.<field>`), and rebuilds the policies on the next call.
   * The breaker keeps its state when its own settings did not change.
   */
  configureOperation(operationName: string, config: OperationPatch): void {
    validateOperationName(operationName);
    if (!this.overrides.has(operationName) && this.overrides.size >= this.config.maxOperations) {
      throw new InvalidConfigError(
        'operationName',
        `more than errorRecovery.maxOperations (${this.config.maxOperations}) configured operations`,
      );
    }
    const merged = parseSection(
      operationRecoveryConfigSchema,
      mergePatch(this.resolved(operationName), config),
      `operations.${operationName}`,
    );
    if (merged.dependency !== undefined && !this.budgets.declares(merged.dependency)) {
      throw undeclaredDependency(`operations.${operationName}.dependency`, merged.dependency, this.budgets.declared());
    }
    this.checkShared(merged.circuitBreaker, `operations.${operationName}.circuitBreaker.shared`);
    this.overrides.set(operationName, merged);
    this.layers.addCode(operationName, config);
    this.rebuild(operationName, this.effective(merged));
  }

  /**
   * Declares a named dependency (INVALID_CONFIG past `MAX_DEPENDENCIES`) or replaces its settings (validated by the caller): the
   * operations naming it take its new retry budget and throttle on their next call; their breakers keep their
   * state. A budget whose settings did not change keeps its window.
   */
  configureDependency(name: string, config: DependencyConfig): void {
    if (!this.budgets.declares(name) && this.budgets.declared().length >= MAX_DEPENDENCIES) throw tooManyDependencies();
    this.checkShared(config.circuitBreaker, `dependencies.${name}.circuitBreaker.shared`);
    this.budgets.configureDependency(name, config);
    this.dependencies = { ...this.dependencies, [name]: config };
    for (const [operationName, policy] of [...this.operations]) {
      if (policy.config.dependency === name) this.rebuild(operationName, policy.config);
    }
  }

  /** True when `name` is a declared dependency. */
  declaresDependency(name: string): boolean {
    return this.budgets.declares(name);
  }

  /**
   * Drops the operation's built policies, so the next call builds them; `next` is the settings they will be
   * built with (a dependency's breaker in place of the operation's), and an unchanged breaker keeps its state.
   */
  private rebuild(operationName: string, next: OperationRecoveryConfig): void {
    const existing = this.operations.get(operationName);
    if (existing) this.retire(operationName, existing, next);
  }

  /**
   * Replaces `existing` (its breaker's state carried over when its settings equal `next`'s). It is retired,
   * not stopped: its attempts still in flight keep their timeouts under the settings they started with.
   */
  private retire(name: string, existing: OperationRecovery, next: OperationRecoveryConfig): void {
    if (existing.breaker && sameSettings(existing.config.circuitBreaker, next.circuitBreaker)) {
      this.restored.set(name, existing.breaker.snapshot());
    }
    existing.retire();
    this.operations.delete(name);
  }

  /**
   * A configuration reload, all at once: new defaults and dependencies, and per name in `fileOperations` the file's
   * patch (undefined: the file no longer names it); code patches (`configureOperation`) stay on top. Everything is
   * validated before anything changes (INVALID_CONFIG names the field); every policy is rebuilt on its next
   * call, each breaker whose settings did not change keeping its state.
   */
  reconfigure(
    defaults: OperationRecoveryConfig,
    fileOperations: ReadonlyMap<string, OperationPatch | undefined>,
    dependencies: DependenciesConfig,
  ): void {
    for (const name of fileOperations.keys()) validateOperationName(name);
    const file = this.layers.fileWith(fileOperations);
    const names = this.layers.names(file);
    if (names.size > this.config.maxOperations) {
      throw new InvalidConfigError(
        'operations',
        `more than errorRecovery.maxOperations (${this.config.maxOperations}) configured operations`,
      );
    }
    const next = new Map<string, OperationRecoveryConfig>();
    for (const name of names) {
      next.set(name, parseSection(operationRecoveryConfigSchema, this.layers.merged(name, defaults, file), `operations.${name}`));
    }
    for (const [name, dependency] of Object.entries(dependencies)) {
      this.checkShared(dependency.circuitBreaker, `dependencies.${name}.circuitBreaker.shared`);
    }
    this.layers.replaceFile(file);
    this.defaults = defaults;
    this.budgets.setDependencies(dependencies);
    this.dependencies = dependencies;
    this.overrides.clear();
    for (const [name, config] of next) this.overrides.set(name, config);
    for (const [name, existing] of [...this.operations]) this.retire(name, existing, this.effective(this.resolved(name)));
  }

  /** The operation's resolved policies (defaults merged with its overrides). */
  getOperationConfig(operationName: string): OperationRecoveryConfig {
    return this.resolved(operationName);
  }

  /** The operation's statistics as plain numbers, or undefined when it never ran. */
  getOperationStats(operationName: string): OperationStatsSnapshot | undefined {
    return this.stats.get(operationName)?.toJSON();
  }

  /** The operation's breaker state, or undefined when it has none (yet). */
  getCircuitBreakerStatus(operationName: string): BreakerState | undefined {
    return this.operations.get(operationName)?.breaker?.state;
  }

  /** Records a call refused before recovery ran (rate limit, resources, permit, shutdown). */
  recordRejection(operationName: string): void {
    this.statsFor(operationName).recordRejection();
  }

  /** Subscribes to retries of every operation; releasing the guard unsubscribes. */
  addListener(listener: RecoveryListener): Guard {
    const retries = this.retries.subscribe((e) => listener.onRetry(e.call, e.failedAttempt, e.delayMs, e.error));
    if (listener.onRetrySkipped === undefined) return retries;
    const skipped = this.skipped.subscribe((e) => listener.onRetrySkipped?.(e.call, e.failedAttempt, e.reason, e.error, e.budget));
    return createGuard(() => {
      retries.release();
      skipped.release();
    });
  }

  /** Every retry budget's state (dependencies' and operations' own), for the balance gauge and the status page. */
  retryBudgets(): OwnedRetryBudgetStatus[] {
    return this.budgets.status();
  }

  /** Subscribes to breaker transitions of every operation; releasing the guard unsubscribes. */
  onBreakerTransition(listener: (event: BreakerTransition) => void): Guard {
    return this.transitions.subscribe(listener);
  }

  /** Every operation's breaker state and time in state, for the state gauge and the status page. */
  breakerStates(): BreakerStatus[] {
    return breakerStatuses(this.operations);
  }

  /** Names of operations whose breaker is open. */
  openBreakers(): string[] {
    return this.breakerStates()
      .filter((b) => b.state === 'open')
      .map((b) => b.operation);
  }

  /** Breaker snapshots of every operation, for a checkpoint. */
  exportBreakerState(): Record<string, BreakerSnapshot> {
    const out: Record<string, BreakerSnapshot> = {};
    for (const [name, policy] of this.operations) if (policy.breaker) out[name] = policy.breaker.snapshot();
    return out;
  }

  /** Restores breaker snapshots (from `exportBreakerState`, e.g. a checkpoint read at start-up). */
  restoreBreakerState(state: Record<string, unknown>): void {
    for (const [name, value] of Object.entries(state)) {
      const snapshot = asBreakerSnapshot(value);
      if (!snapshot) throw new InvalidConfigError(`breakerState.${name}`, 'not a breaker snapshot');
      validateOperationName(name);
      this.restored.set(name, snapshot);
      this.operations.get(name)?.retire();
      this.operations.delete(name);
    }
  }

  /** Plain JSON health of the recovery layer (the seed's `health_check`). */
  healthCheck(): RecoveryHealth {
    return recoveryHealth(this.enabled, this.operations, this.stats);
  }

  /** The status of every operation's breaker that shares its state across replicas. */
  sharedBreakerStatus(): SharedBreakerStatus[] {
    return sharedBreakerStatuses(this.operations);
  }

  /** A shared breaker needs the shared-state store: INVALID_CONFIG at `path` without one. */
  private checkShared(config: CircuitBreakerConfig | false | undefined, path: string): void {
    if (config === false || config === undefined || !config.shared || this.sharedBreakers !== undefined) return;
    throw new InvalidConfigError(
      path,
      'a shared circuit breaker needs the shared-state store: set rateLimiting.store to redis or redis_cluster ' +
        '(PRODUCTION_REDIS_URL or PRODUCTION_REDIS_CLUSTER_NODES) with rate limiting enabled',
    );
  }

  /** Stops every timeout timer and the shared breakers' publishing. */
  shutdown(): void {
    for (const policy of this.operations.values()) policy.stop();
    this.sharedBreakers?.stop();
  }

  private policy(name: string): OperationRecovery {
    return this.operations.get(name) ?? this.build(name);
  }

  private resolved(name: string): OperationRecoveryConfig {
    return this.overrides.get(name) ?? this.defaults;
  }

  private statsFor(name: string): OperationStats {
    let stats = this.stats.get(name);
    if (stats === undefined) {
      validateOperationName(name);
      if (this.stats.size >= this.config.maxOperations) {
        throw new InvalidConfigError(
          'operationName',
          `more than errorRecovery.maxOperations (${this.config.maxOperations}) distinct operation names`,
        );
      }
      stats = new OperationStats(this.config.latencySamples);
      this.stats.set(name, stats);
    }
    return stats;
  }

  /** The breaker the operation's dependency imposes in place of its own, if any. */
  private dependencyBreaker(resolved: OperationRecoveryConfig): CircuitBreakerConfig | undefined {
    const breaker = resolved.dependency === undefined ? undefined : this.dependencies[resolved.dependency]?.circuitBreaker;
    return breaker === undefined || breaker === false || resolved.circuitBreaker === false ? undefined : breaker;
  }

  /**
   * The settings an operation's policies are built with: its resolved ones, with its dependency's breaker in
   * place of its own (under the dependency's name), and every policy off when recovery is off.
   */
  private effective(resolved: OperationRecoveryConfig): OperationRecoveryConfig {
    const dependencyBreaker = this.dependencyBreaker(resolved);
    const config = dependencyBreaker === undefined ? resolved : { ...resolved, circuitBreaker: dependencyBreaker };
    if (this.enabled) return config;
    return { ...config, retry: false, circuitBreaker: false, bulkhead: false, timeoutMs: 0, hedging: false };
  }

  private build(name: string): OperationRecovery {
    const stats = this.statsFor(name);
    const resolved = this.resolved(name);
    const config = this.effective(resolved);
    const hub = this.sharedBreakers;
    const sharedKey = this.dependencyBreaker(resolved) ? `dep:${resolved.dependency}` : `op:${name}`;
    const shared = {
      budget: config.retry === false && config.hedging === false ? undefined : this.budgets.budgetFor(name, config),
      deadlineMarginMs: this.deadlineMarginMs,
      throttle: config.dependency === undefined ? undefined : this.throttleFor?.(config.dependency),
      shareBreaker:
        config.circuitBreaker !== false && config.circuitBreaker.shared && hub !== undefined
          ? (local: CircuitBreaker) => hub.share(local, sharedKey)
          : undefined,
    };
    const policy = new OperationRecovery(name, config, this.listener, this.clock, stats, this.restored.get(name), shared);
    this.restored.delete(name);
    policy.breaker?.onTransition(({ from, to }) => this.transitions.emit({ operation: name, from, to }));
    this.operations.set(name, policy);
    return policy;
  }
}
