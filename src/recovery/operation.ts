import { isBreakerFailure } from '../errors.js';
import type { CallState, OperationPolicy, RecoveryListener } from '../pipeline.js';
import type { Clock } from '../internal/time.js';
import type { Breaker, BreakerSnapshot } from './breaker.js';
import type { Bulkhead } from './bulkhead/index.js';
import { composeRecovery, type RecoveryShared } from './compose.js';
import type { OperationRecoveryConfig } from './config.js';
import type { Hedging } from './hedging/index.js';
import type { RetryBudget } from './retry-budget.js';
import type { SlowCallMonitor } from './slow-call/index.js';
import type { CallStage, Operation } from './stage.js';
import type { OperationStats } from './stats.js';
import type { TimeoutStage } from './timeout/index.js';

export type { Operation } from './stage.js';
export type { RecoveryShared } from './compose.js';

/**
 * Counts as the operation failing (the breaker's default predicate), read from `ERROR_CODES`: the production
 * layer's own rejections (rate limited, circuit open, shutting down, aborted...) never do; a TIMEOUT does.
 */
export function isOperationFailure(error: unknown): boolean {
  return isBreakerFailure(error);
}

/**
 * The recovery policies of one operation name, composed once into stages (`compose.ts`) and reused by every
 * call: retry -> hedging -> breaker -> bulkhead -> throttle -> slow-call -> timeout.
 */
export class OperationRecovery implements OperationPolicy {
  readonly stats: OperationStats;
  readonly breaker: Breaker | undefined;
  readonly bulkhead: Bulkhead | undefined;
  /** Hedging of an idempotent operation that configures it. */
  readonly hedging: Hedging | undefined;
  /** The slow-call rate of the attempts sent, which opens the breaker (`circuitBreaker.slowCall`). */
  readonly slowCalls: SlowCallMonitor | undefined;
  private readonly idempotentPath: CallStage;
  private readonly oncePath: CallStage;
  private readonly timeout: TimeoutStage;
  private readonly budget: RetryBudget | undefined;

  constructor(
    readonly name: string,
    readonly config: OperationRecoveryConfig,
    listener: RecoveryListener,
    clock: Clock,
    stats: OperationStats,
    breakerState?: BreakerSnapshot,
    shared: RecoveryShared = {},
  ) {
    this.stats = stats;
    this.budget = shared.budget;
    const stages = composeRecovery(name, config, listener, clock, stats, breakerState, shared);
    this.idempotentPath = stages.idempotent;
    this.oncePath = stages.once;
    this.timeout = stages.timeout;
    this.breaker = stages.breaker;
    this.bulkhead = stages.bulkhead?.bulkhead;
    this.hedging = stages.hedging;
    this.slowCalls = stages.slowCalls?.monitor;
  }

  /** Runs `operation` for `call` through the operation's stages; a call that is not idempotent is made once. */
  execute<T>(operation: Operation<T>, call: CallState, idempotent: boolean): Promise<T> {
    this.budget?.deposit();
    return (idempotent ? this.idempotentPath : this.oncePath).execute(operation, call);
  }

  /**
   * Retires these policies when a rebuild replaces them: the breaker and the slow-call monitor stop; the
   * timeout stage does not, so the attempts still in flight under the old settings keep their timeouts.
   */
  retire(): void {
    this.breaker?.stop();
    this.slowCalls?.stop();
  }

  /** Stops every timer, the timeouts' too (shutdown). */
  stop(): void {
    this.retire();
    this.timeout.stop();
  }
}

/** Reads a breaker snapshot back from JSON (a checkpoint); undefined when it is not one. */
export function asBreakerSnapshot(value: unknown): BreakerSnapshot | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  return 'policy' in v && typeof v.probation === 'number' ? { policy: v.policy, probation: v.probation } : undefined;
}
