import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  IsolatedCircuitError,
  SamplingBreaker,
  circuitBreaker,
  handleWhen,
  type IBreaker,
} from 'cockatiel';
import { CircuitOpenError } from '../errors.js';
import type { Guard } from '../guard.js';
import type { BreakerState } from '../pipeline.js';
import { EventEmitter } from '../internal/event.js';
import { reportInternalError } from '../telemetry/internal-errors.js';
import type { CircuitBreakerConfig } from './config.js';

export type { BreakerState };

/** Every breaker state, in the order the state gauge reports them. */
export const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'half_open'];

/** A breaker's change of state. */
export interface BreakerStateChange {
  readonly from: BreakerState;
  readonly to: BreakerState;
}

/** Exported breaker state, restorable through `initialState` so a restart does not forget an open circuit. */
export interface BreakerSnapshot {
  /** cockatiel's own serialised state (deep copy). */
  readonly policy: unknown;
  /** Trial successes still needed before the breaker counts as closed. */
  readonly probation: number;
}

/**
 * What an operation's recovery needs of its breaker: the local {@link CircuitBreaker}, or a shared one
 * (`circuitBreaker.shared`) that follows the state of every replica.
 */
export interface Breaker {
  readonly operation: string;
  readonly config: CircuitBreakerConfig;
  /** Current state. */
  readonly state: BreakerState;
  /** Wall-clock time (ms) the breaker entered its current state. */
  readonly since: number;
  /** Closed and not on probation: calls may skip the trial gate and report through `recordClosed*`. */
  isClosed(): boolean;
  /** A call admitted while closed succeeded. */
  recordClosedSuccess(): void;
  /** A call admitted while closed failed; resolves once the failure is counted, undefined when it is not. */
  recordClosedFailure(error: unknown): Promise<void> | undefined;
  /** Runs `fn` through the breaker's gate (open: CIRCUIT_OPEN; half-open: as a trial). */
  execute<T>(fn: () => Promise<T>): Promise<T>;
  /** Milliseconds until an open breaker admits a trial call; 0 when not open. */
  retryAfterMs(): number;
  /** Subscribes to state transitions; releasing the guard unsubscribes. */
  onTransition(listener: (change: BreakerStateChange) => void): Guard;
  /** Exports the local state for a checkpoint. */
  snapshot(): BreakerSnapshot;
  /** Holds the circuit open until the returned handle is disposed. */
  isolate(): Disposable;
  /** Stops background work (a shared breaker's publishing); the breaker is not used after. */
  stop(): void;
}

/**
 * Wraps cockatiel's breaker strategy to add what cockatiel 3.2.1 lacks: more than one success needed in
 * half-open (`successThreshold`), and a copied rather than live `state` (its `toJSON().breakerState` is a
 * live reference for the count and sampling breakers). A failure during probation opens at once.
 */
class ProbationBreaker implements IBreaker {
  remaining = 0;
  constructor(
    private readonly inner: IBreaker,
    private readonly successThreshold: number,
  ) {}

  get state(): unknown {
    return { inner: structuredClone(this.inner.state), remaining: this.remaining };
  }

  set state(value: unknown) {
    const v = value as { inner?: unknown; remaining?: number } | undefined;
    if (v && 'inner' in v) this.inner.state = structuredClone(v.inner);
    this.remaining = v?.remaining ?? 0;
  }

  success(state: CircuitState): void {
    if (state === CircuitState.HalfOpen) this.remaining = this.successThreshold - 1;
    else if (this.remaining > 0) this.remaining--;
    this.inner.success(state);
  }

  failure(state: CircuitState): boolean {
    const onProbation = this.remaining > 0;
    this.remaining = 0;
    const opens = this.inner.failure(state);
    return opens || (onProbation && state === CircuitState.Closed);
  }
}

/**
 * One operation's circuit breaker: cockatiel's `CircuitBreakerPolicy` (consecutive or sampling strategy)
 * behind a gate that lets at most `halfOpenMaxCalls` trial calls run while half-open and refuses the rest
 * with CIRCUIT_OPEN (cockatiel 3.2.1 queues them all behind the first trial and then runs every one).
 */
export class CircuitBreaker implements Breaker {
  private readonly policy: CircuitBreakerPolicy;
  private readonly probation: ProbationBreaker;
  private trialsInFlight = 0;
  private reported: BreakerState;
  private stateSince: number;
  private readonly transitions = new EventEmitter<BreakerStateChange>((error) => reportInternalError('error_recovery', error));

  constructor(
    readonly operation: string,
    readonly config: CircuitBreakerConfig,
    /** Whether an error counts as a breaker failure. */
    readonly isFailure: (error: unknown) => boolean,
    initialState?: BreakerSnapshot,
  ) {
    const strategy: IBreaker =
      config.mode === 'consecutive'
        ? new ConsecutiveBreaker(config.failureThreshold)
        : new SamplingBreaker({
            threshold: config.failureRateThreshold,
            duration: config.samplingDurationMs,
            ...(config.minimumRps !== undefined ? { minimumRps: config.minimumRps } : {}),
          });
    this.probation = new ProbationBreaker(strategy, config.successThreshold);
    this.policy = circuitBreaker(handleWhen(isFailure), {
      breaker: this.probation,
      halfOpenAfter: config.recoveryTimeoutMs,
      ...(initialState ? { initialState: structuredClone(initialState.policy) } : {}),
    });
    if (initialState) this.probation.remaining = initialState.probation;
    this.reported = this.computeState();
    this.stateSince = Date.now();
    this.policy.onStateChange(() => this.refresh());
  }

  /** Current state; `half_open` also while the required trial successes are still being collected. */
  get state(): BreakerState {
    return this.reported;
  }

  /** Wall-clock time (ms) the breaker entered its current state. */
  get since(): number {
    return this.stateSince;
  }

  /** Milliseconds until an open breaker admits a trial call; 0 when not open. */
  retryAfterMs(): number {
    if (this.policy.state !== CircuitState.Open) return 0;
    const own = (this.policy.toJSON() as { ownState: { openedAt?: number } }).ownState;
    return Math.max(0, (own.openedAt ?? 0) + this.config.recoveryTimeoutMs - Date.now());
  }

  /** Subscribes to state transitions; releasing the guard unsubscribes. */
  onTransition(listener: (change: BreakerStateChange) => void): Guard {
    return this.transitions.subscribe(listener);
  }

  /**
   * Runs `fn` through the breaker. Throws CIRCUIT_OPEN when open, or when half-open and every trial slot
   * is taken. Errors `isFailure` rejects pass through without counting.
   */
  execute<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.isClosed()) return this.trial(fn);
    let pending: Promise<T>;
    try {
      pending = fn();
    } catch (error) {
      pending = Promise.reject(error);
    }
    return pending.then(
      (value) => {
        this.recordClosedSuccess();
        return value;
      },
      async (error: unknown) => {
        await this.recordClosedFailure(error);
        throw error;
      },
    );
  }

  /** Closed and not on probation: calls may skip the trial gate and report through `recordClosed*`. */
  isClosed(): boolean {
    return this.policy.state === CircuitState.Closed && this.probation.remaining === 0;
  }

  /**
   * A call admitted while closed succeeded: tell cockatiel's strategy as cockatiel's own executor would
   * (`breaker.success(Closed)`). Running successful calls outside `policy.execute` spares each of them
   * cockatiel's two async frames; failures still go through cockatiel (see `recordClosedFailure`).
   */
  recordClosedSuccess(): void {
    if (this.policy.state === CircuitState.Closed) this.probation.success(CircuitState.Closed);
  }

  /**
   * A call admitted while closed failed: when the error counts, replay it through `policy.execute` so
   * cockatiel does its own counting and opening; resolves once it has. Undefined when nothing is counted.
   */
  recordClosedFailure(error: unknown): Promise<void> | undefined {
    if (!this.isFailure(error) || this.policy.state !== CircuitState.Closed) return undefined;
    return this.policy
      .execute(() => Promise.reject(error))
      .then(
        () => undefined,
        () => undefined,
      );
  }

  private async trial<T>(fn: () => Promise<T>): Promise<T> {
    const state = this.policy.state;
    if (state === CircuitState.Isolated) throw new CircuitOpenError(this.operation, this.config.recoveryTimeoutMs);
    if (state === CircuitState.Open) {
      const wait = this.retryAfterMs();
      if (wait > 0) throw new CircuitOpenError(this.operation, wait);
    }
    if (this.trialsInFlight >= this.config.halfOpenMaxCalls) throw new CircuitOpenError(this.operation, 0);
    this.trialsInFlight++;
    let counted = false;
    try {
      const value = await this.policy.execute(async () => {
        counted = true;
        return fn();
      });
      return value;
    } catch (error) {
      // cockatiel closes the circuit when a trial fails with an error it does not count (an abort, a
      // rejection): keep it half-open instead, so an aborted trial cannot close a broken dependency.
      if (counted && this.policy.state === CircuitState.Closed && !this.isFailure(error)) {
        this.probation.remaining = Math.max(this.probation.remaining, this.config.successThreshold);
      }
      throw this.callerError(error);
    } finally {
      this.trialsInFlight--;
      this.refresh();
    }
  }

  /** Nothing runs in the background of a local breaker. */
  stop(): void {}

  /** Exports the state for a checkpoint (a deep copy). */
  snapshot(): BreakerSnapshot {
    const policy = structuredClone(this.policy.toJSON()) as { ownState?: unknown };
    // An isolation is held by a live handle (`isolate()`, the slow-call monitor): restored from a snapshot, no
    // handle could ever release it, so it is exported as closed and whoever holds it open decides again.
    if (this.policy.state === CircuitState.Isolated) policy.ownState = { value: CircuitState.Closed };
    return { policy, probation: this.probation.remaining };
  }

  /** Holds the circuit open until the returned handle is disposed. */
  isolate(): Disposable {
    const handle = this.policy.isolate();
    this.refresh();
    return {
      [Symbol.dispose]: () => {
        handle.dispose();
        this.refresh();
      },
    };
  }

  /** What the caller sees: cockatiel's open-circuit errors become CIRCUIT_OPEN, anything else passes as it was. */
  private callerError(error: unknown): unknown {
    if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError)
      return new CircuitOpenError(this.operation, this.retryAfterMs());
    return error;
  }

  private computeState(): BreakerState {
    switch (this.policy.state) {
      case CircuitState.Open:
      case CircuitState.Isolated:
        return 'open';
      case CircuitState.HalfOpen:
        return 'half_open';
      default:
        return this.probation.remaining > 0 ? 'half_open' : 'closed';
    }
  }

  private refresh(): void {
    const next = this.computeState();
    if (next === this.reported) return;
    const from = this.reported;
    this.reported = next;
    this.stateSince = Date.now();
    this.transitions.emit({ from, to: next });
  }
}
