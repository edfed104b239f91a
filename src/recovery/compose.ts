import type { Clock } from '../internal/time.js';
import type { CallState, DependencyThrottle, RecoveryListener } from '../pipeline.js';
import { CircuitBreaker, type Breaker, type BreakerSnapshot } from './breaker.js';
import { isBreakerFailure } from '../errors.js';
import { BulkheadStage } from './bulkhead/index.js';
import { BreakerStage } from './circuit-breaker/index.js';
import type { OperationRecoveryConfig } from './config.js';
import { Hedging } from './hedging/index.js';
import { RetryStage } from './retry/index.js';
import type { RetryBudget } from './retry-budget.js';
import { SlowCallStage } from './slow-call/index.js';
import type { AttemptStage, CallStage, Operation } from './stage.js';
import type { OperationStats } from './stats.js';
import { ThrottleStage } from './throttle/index.js';
import { AttemptContext, TimeoutStage } from './timeout/index.js';

/** What an operation's recovery shares with others: its retry budget and the deadline margin. */
export interface RecoveryShared {
  /** The retry budget of the operation's dependency, or its own; undefined when it has none. */
  readonly budget?: RetryBudget | undefined;
  /** Time kept back from a call's deadline (`deadlines.marginMs`). */
  readonly deadlineMarginMs?: number;
  /** Client-side throttling of the operation's named dependency, if it has one. */
  readonly throttle?: DependencyThrottle | undefined;
  /** Wraps the operation's local breaker when its state is shared across replicas (`circuitBreaker.shared`). */
  readonly shareBreaker?: ((local: CircuitBreaker) => Breaker) | undefined;
}

/** Where the call stages hand over to the attempt stages: one {@link AttemptContext} per attempt. */
class AttemptStart implements CallStage {
  constructor(
    private readonly stats: OperationStats,
    private readonly next: AttemptStage,
  ) {}

  execute<T>(operation: Operation<T>, call: CallState): Promise<T> {
    return this.next.execute(operation, new AttemptContext<T>(call, this.stats));
  }
}

/** An operation's stages, composed once: the two entry points and the stages the status and tests read. */
export interface ComposedRecovery {
  /** An idempotent call's path: retry, hedging, then one attempt's stages. */
  readonly idempotent: CallStage;
  /** A call made once (not idempotent): one attempt's stages only. */
  readonly once: CallStage;
  readonly breaker: Breaker | undefined;
  readonly bulkhead: BulkheadStage | undefined;
  readonly hedging: Hedging | undefined;
  readonly slowCalls: SlowCallStage | undefined;
  readonly timeout: TimeoutStage;
}

/**
 * Composes the recovery stages of operation `name` from its settings, in the order a call passes them:
 * retry -> hedging -> breaker -> bulkhead -> throttle -> slow-call -> timeout. Each stage holds its `next`,
 * so the stages are built from the last up; a stage the settings turn off is left out (it costs nothing).
 * A new policy is a folder with its stage and one line here.
 */
export function composeRecovery(
  name: string,
  config: OperationRecoveryConfig,
  listener: RecoveryListener,
  clock: Clock,
  stats: OperationStats,
  breakerState: BreakerSnapshot | undefined,
  shared: RecoveryShared,
): ComposedRecovery {
  const marginMs = shared.deadlineMarginMs ?? 0;
  const breaker = config.circuitBreaker === false ? undefined : makeBreaker(name, config.circuitBreaker, breakerState, shared);
  const slowCall = config.circuitBreaker === false ? false : config.circuitBreaker.slowCall;
  // One attempt's stages, the last first.
  const timeout = new TimeoutStage({ timeoutMs: config.timeoutMs, attemptSpans: config.attemptSpans, marginMs }, clock);
  let attempt: AttemptStage = timeout;
  const slowCalls = breaker && slowCall ? new SlowCallStage(slowCall, breaker, circuitOpenForMs(config), clock, attempt) : undefined;
  attempt = slowCalls ?? attempt;
  if (shared.throttle !== undefined) attempt = new ThrottleStage(shared.throttle, attempt);
  const bulkhead = config.bulkhead === false ? undefined : new BulkheadStage(name, config.bulkhead, clock, attempt);
  attempt = bulkhead ?? attempt;
  if (breaker !== undefined) attempt = new BreakerStage(breaker, attempt);
  // The call's stages above them, the last first.
  const once: CallStage = new AttemptStart(stats, attempt);
  let call = once;
  const hedging = config.hedging !== false && config.idempotent ? new Hedging(config.hedging, clock, shared, call) : undefined;
  call = hedging ?? call;
  if (config.retry !== false && config.retry.maxRetries > 0 && config.idempotent) {
    call = new RetryStage(config.retry, { stats, budget: shared.budget, marginMs, listener }, clock, call);
  }
  return { idempotent: call, once, breaker, bulkhead, hedging, slowCalls, timeout };
}

function circuitOpenForMs(config: OperationRecoveryConfig): number {
  return config.circuitBreaker === false ? 0 : config.circuitBreaker.recoveryTimeoutMs;
}

/**
 * The operation's breaker: cockatiel's, counting what `isBreakerFailure` (the error-code table) and the
 * operation's `failureOn` call a failure; shared across replicas when configured.
 */
function makeBreaker(
  name: string,
  config: Exclude<OperationRecoveryConfig['circuitBreaker'], false>,
  state: BreakerSnapshot | undefined,
  shared: RecoveryShared,
): Breaker {
  const failureOn = config.failureOn;
  const isFailure = (e: unknown): boolean => isBreakerFailure(e) && (failureOn === undefined || failureOn(e));
  const local = new CircuitBreaker(name, config, isFailure, state);
  return shared.shareBreaker === undefined ? local : shared.shareBreaker(local);
}
