import { context, trace, type Span } from '@opentelemetry/api';
import { InvalidConfigError } from '../errors.js';
import { createGuard, type Guard } from '../guard.js';
import { EventEmitter } from '../internal/event.js';
import { reportInternalError } from '../telemetry/internal-errors.js';
import { systemClock, type Clock } from '../internal/time.js';
import { parseSection } from '../internal/validation.js';
import type { DependenciesConfig } from '../dependencies/config.js';
import { deadlineOf } from '../deadlines/context.js';
import { validateDeadlineMs } from '../deadlines/wait.js';
import type { BreakerTransition, CallState, DependencyThrottle, OperationPolicy, RecoveryListener, RetrySkipReason } from '../pipeline.js';
import { RetryBudgets, type OwnedRetryBudgetStatus } from './retry-budgets.js';
import type { BreakerSnapshot, BreakerState } from './breaker.js';
import {
  operationRecoveryConfigSchema,
  type CircuitBreakerConfig,
  type ErrorRecoveryConfig,
  type OperationRecoveryConfig,
  type RetryConfig,
} from './config.js';
import { OperationRecovery, asBreakerSnapshot, type Operation } from './operation.js';
import { OperationStats, type OperationStatsSnapshot } from './stats.js';
import { validateOperationName } from './names.js';

/** Options of {@link ErrorRecoveryManager}. */
export interface ErrorRecoveryOptions {
  /** When false, operations run once with no retry, breaker, bulkhead or timeout (stats are still kept). */
  enabled?: boolean;
  /** Clock of timeouts and call durations (its monotonic time); default the system clock. */
  clock?: Clock;
  /** Told about retries; the production system's telemetry listens here. */
  listener?: RecoveryListener;
  /** The client-side throttle of a named dependency (an operation's `dependency`), if it has one. */
  throttleFor?: (dependency: string) => DependencyThrottle | undefined;
  /** The named dependencies (the config's `dependencies` section), whose retry budgets operations share. */
  dependencies?: DependenciesConfig;
  /** Time kept back from a call's deadline (`deadlines.marginMs`); default 0. */
  deadlineMarginMs?: number;
}

/** One operation's breaker: its state and since when (epoch ms). */
export interface BreakerStatus {
  readonly operation: string;
  readonly state: BreakerState;
  /** Wall-clock time it entered the state, ms since the epoch. */
  readonly since: number;
}

/** The recovery layer's health as plain JSON (the seed's `health_check`). */
export interface RecoveryHealth {
  /** False when `errorRecoveryEnabled` is off (operations run once, unprotected). */
  readonly enabled: boolean;
  /** Operations with policies built. */
  readonly operations: number;
  /** `degraded` while any breaker is open. */
  readonly status: 'healthy' | 'degraded';
  readonly openCircuitBreakers: string[];
  readonly halfOpenCircuitBreakers: string[];
  /** Breakers per state. */
  readonly breakerStates: Record<BreakerState, number>;
  /** Statistics by operation name. */
  readonly stats: Record<string, OperationStatsSnapshot>;
}

/** One retry, as the manager fans it out to its listeners. */
interface RetryEvent {
  readonly call: CallState;
  readonly failedAttempt: number;
  readonly delayMs: number;
  readonly error: unknown;
}

/** One skipped retry, as the manager fans it out to its listeners. */
interface RetrySkippedEvent {
  readonly call: CallState;
  readonly failedAttempt: number;
  readonly reason: RetrySkipReason;
  readonly error: unknown;
  readonly budget: string | undefined;
}

/**
 * A partial operation config; nested sections merge field by field, `false` turns a policy off. A group nested in
 * a section (`circuitBreaker.slowCall`) replaces the current one whole, so its own fields are optional too.
 */
export type OperationPatch = {
  [K in keyof OperationRecoveryConfig]?: OperationRecoveryConfig[K] extends infer V
    ? V extends object
      ? | { [P in keyof V]?: V[P] extends (...args: never[]) => unknown ? V[P] : V[P] extends object | undefined ? Partial<V[P]> : V[P] }
        | false
      : V
    : never;
};

function mergePatch(base: OperationRecoveryConfig, patch: OperationPatch): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const current = out[key];
    const bothObjects = typeof value === 'object' && value !== null && typeof current === 'object' && current !== null;
    out[key] = bothObjects ? { ...current, ...value } : value;
  }
  return out;
}

function sameSettings(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

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
  private readonly deadlineMarginMs: number;
  readonly enabled: boolean;
  private readonly throttleFor: ((dependency: string) => DependencyThrottle | undefined) | undefined;

  constructor(
    readonly config: ErrorRecoveryConfig,
    options: ErrorRecoveryOptions = {},
  ) {
    this.enabled = options.enabled ?? true;
    this.clock = options.clock ?? systemClock;
    this.throttleFor = options.throttleFor;
    this.budgets = new RetryBudgets(options.dependencies ?? {}, this.clock);
    this.deadlineMarginMs = options.deadlineMarginMs ?? 0;
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
    const policy = this.policy(operationName);
    const start = this.clock.monotonic();
    let deadline = deadlineOf(context.active());
    if (options.deadlineMs !== undefined) deadline = Math.min(deadline ?? Infinity, start + validateDeadlineMs(options.deadlineMs));
    const span: Span = trace.getActiveSpan() ?? trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 });
    const call: CallState = {
      operationName,
      userId: options.userId,
      correlationId: options.correlationId ?? span.spanContext().traceId,
      span,
      callerSignal: options.signal,
      abandonSignal: undefined,
      deadline,
      deadlineSignal: undefined,
      attempts: 0,
      lastError: undefined,
    };
    try {
      const value = await policy.execute(operation, call, options.idempotent ?? true);
      policy.stats.record(true, (this.clock.monotonic() - start) / 1000);
      return value;
    } catch (error) {
      policy.stats.record(false, (this.clock.monotonic() - start) / 1000);
      throw error;
    } finally {
      call.deadlineSignal?.dispose();
    }
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
    this.overrides.set(operationName, merged);
    const existing = this.operations.get(operationName);
    if (existing) {
      const keepBreaker = existing.breaker && sameSettings(existing.config.circuitBreaker, merged.circuitBreaker);
      if (keepBreaker) this.restored.set(operationName, existing.breaker.snapshot());
      existing.stop();
      this.operations.delete(operationName);
    }
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
    const out: BreakerStatus[] = [];
    for (const [operation, policy] of this.operations) {
      if (policy.breaker) out.push({ operation, state: policy.breaker.state, since: policy.breaker.since });
    }
    return out;
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
      this.operations.get(name)?.stop();
      this.operations.delete(name);
    }
  }

  /** Plain JSON health of the recovery layer (the seed's `health_check`). */
  healthCheck(): RecoveryHealth {
    const states = this.breakerStates();
    const named = (state: BreakerState): string[] => states.filter((s) => s.state === state).map((s) => s.operation);
    const open = named('open');
    const breakerStates = { closed: 0, open: 0, half_open: 0 } satisfies Record<BreakerState, number>;
    for (const s of states) breakerStates[s.state]++;
    return {
      enabled: this.enabled,
      operations: this.operations.size,
      status: open.length > 0 ? 'degraded' : 'healthy',
      openCircuitBreakers: open,
      halfOpenCircuitBreakers: named('half_open'),
      breakerStates,
      stats: Object.fromEntries([...this.stats].map(([name, stats]) => [name, stats.toJSON()])),
    };
  }

  /** Stops every timeout timer. */
  shutdown(): void {
    for (const policy of this.operations.values()) policy.stop();
  }

  private policy(name: string): OperationRecovery {
    return this.operations.get(name) ?? this.build(name);
  }

  private resolved(name: string): OperationRecoveryConfig {
    return this.overrides.get(name) ?? this.config.defaults;
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

  private build(name: string): OperationRecovery {
    const stats = this.statsFor(name);
    const resolved = this.resolved(name);
    const config: OperationRecoveryConfig = this.enabled
      ? resolved
      : { ...resolved, retry: false, circuitBreaker: false, bulkhead: false, timeoutMs: 0, hedging: false };
    const shared = {
      budget: config.retry === false && config.hedging === false ? undefined : this.budgets.budgetFor(name, config),
      deadlineMarginMs: this.deadlineMarginMs,
      throttle: config.dependency === undefined ? undefined : this.throttleFor?.(config.dependency),
    };
    const policy = new OperationRecovery(name, config, this.listener, this.clock, stats, this.restored.get(name), shared);
    this.restored.delete(name);
    policy.breaker?.onTransition(({ from, to }) => this.transitions.emit({ operation: name, from, to }));
    this.operations.set(name, policy);
    return policy;
  }
}
