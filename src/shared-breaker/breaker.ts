import { CircuitOpenError } from '../errors.js';
import type { Guard } from '../guard.js';
import { EventEmitter } from '../internal/event.js';
import type { Clock } from '../internal/time.js';
import { reportInternalError } from '../telemetry/internal-errors.js';
import type { Breaker, BreakerSnapshot, BreakerState, BreakerStateChange, CircuitBreaker } from '../recovery/breaker.js';
import type { CircuitBreakerConfig } from '../recovery/config.js';
import {
  breakerKeys,
  parseReply,
  roundTimeoutMs,
  runRound,
  type PublishSettings,
  type SharedStateStore,
  type SharedView,
} from './store.js';
import type { SharedBreakerStatus } from '../recovery/snapshot.js';

export type { SharedBreakerStatus } from '../recovery/snapshot.js';

/** What a shared breaker needs from its hub. */
export interface SharedBreakerContext {
  readonly store: SharedStateStore;
  readonly clock: Clock;
  readonly replicaId: string;
  /** Told when the breaker stops (its hub forgets it). */
  readonly onStop?: (breaker: SharedCircuitBreaker) => void;
}

/**
 * A circuit breaker whose state every replica shares, with no store call on the hot path: calls count their
 * outcomes in plain fields; every `publishIntervalMs` a background round sends the batch and reads the
 * shared state back in one script (polling, not pub/sub: the same round trip carries both, it needs no extra
 * connection, and it works unchanged on a Redis Cluster). While the shared state is open every replica
 * refuses; in half-open only the holder of the trial lease sends a trial, one at a time. When a round fails
 * or gets no reply in time, the replica's own {@link CircuitBreaker} (fed every outcome all along) decides
 * until a round succeeds again; no call ever waits for the store or is refused because of it.
 */
export class SharedCircuitBreaker implements Breaker {
  readonly key: string;
  private readonly keys: string[];
  private readonly settings: PublishSettings;
  private readonly holderId: string;
  private mode: 'shared' | 'local' = 'local';
  private view: SharedView | undefined;
  /** Local monotonic time an open shared state lets trials through. */
  private retryAt = 0;
  private successes = 0;
  private failures = 0;
  private trailing = 0;
  private sawSuccess = false;
  private refused = 0;
  private trialRunning = false;
  private trialOutcome: 'success' | 'failure' | undefined;
  /** A trial settled and its outcome has not come back applied yet: no other trial starts meanwhile. */
  private awaitingVerdict = false;
  /** Settles when the store call of the round outstanding settles (even after the round gave up on it). */
  private outstanding: Promise<void> | undefined;
  /** The round that runs once the outstanding one's store call settles. */
  private queued: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private reported: BreakerState;
  private stateSince: number;
  private publishes = 0;
  private publishFailures = 0;
  private lastPublishAt: number | null = null;
  private lastError: string | null = null;
  private readonly transitions = new EventEmitter<BreakerStateChange>((error) => reportInternalError('error_recovery', error));

  constructor(
    private readonly local: CircuitBreaker,
    key: string,
    private readonly context: SharedBreakerContext,
  ) {
    this.key = key;
    this.keys = breakerKeys(context.store, key);
    this.holderId = `${context.replicaId}/${local.operation}`;
    const config = local.config;
    this.settings = {
      mode: config.mode,
      failureThreshold: config.failureThreshold,
      failureRateThreshold: config.failureRateThreshold,
      // cockatiel's default: 5 calls per second at the threshold, over the sampling window.
      minimumCalls: (config.samplingDurationMs * (config.minimumRps ?? 5 / config.failureRateThreshold)) / 1000,
      samplingDurationMs: config.samplingDurationMs,
      recoveryTimeoutMs: config.recoveryTimeoutMs,
      successThreshold: config.successThreshold,
      publishIntervalMs: config.publishIntervalMs,
    };
    this.reported = local.state;
    this.stateSince = context.clock.wall();
    local.onTransition(() => this.refresh());
    this.timer = setInterval(() => void this.publish(), config.publishIntervalMs);
    this.timer.unref();
    void this.publish();
  }

  get operation(): string {
    return this.local.operation;
  }

  get config(): CircuitBreakerConfig {
    return this.local.config;
  }

  get state(): BreakerState {
    return this.reported;
  }

  get since(): number {
    return this.stateSince;
  }

  isClosed(): boolean {
    return this.mode === 'shared' ? this.view!.state === 'closed' : this.local.isClosed();
  }

  // Only outcomes recorded while following the shared state go into the next batch: in local mode the local
  // breaker has them, and a round that succeeds later (the store back, maybe restarted empty) must not open
  // the shared state on failures the local breaker already acted on, of a dependency perhaps healthy since.
  recordClosedSuccess(): void {
    if (this.mode === 'shared') {
      this.successes++;
      this.trailing = 0;
      this.sawSuccess = true;
    }
    this.local.recordClosedSuccess();
  }

  recordClosedFailure(error: unknown): Promise<void> | undefined {
    if (!this.local.isFailure(error)) return undefined;
    if (this.mode === 'shared') {
      this.failures++;
      this.trailing++;
    }
    return this.local.recordClosedFailure(error);
  }

  execute<T>(fn: () => Promise<T>): Promise<T> {
    if (this.mode === 'local') return this.local.execute(fn);
    const view = this.view!;
    if (view.state === 'closed') {
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
    if (view.state === 'half_open' && view.leaseHolder === this.holderId && !this.trialRunning && !this.awaitingVerdict) {
      return this.trial(fn);
    }
    this.refused++;
    const wait = view.state === 'open' ? Math.max(0, this.retryAt - this.context.clock.monotonic()) : this.config.publishIntervalMs;
    return Promise.reject(new CircuitOpenError(this.operation, Math.ceil(wait)));
  }

  retryAfterMs(): number {
    if (this.mode === 'local') return this.local.retryAfterMs();
    return this.view!.state === 'open' ? Math.max(0, this.retryAt - this.context.clock.monotonic()) : 0;
  }

  onTransition(listener: (change: BreakerStateChange) => void): Guard {
    return this.transitions.subscribe(listener);
  }

  snapshot(): BreakerSnapshot {
    return this.local.snapshot();
  }

  isolate(): Disposable {
    return this.local.isolate();
  }

  /** Stops publishing; the state already published stays in the store for the other replicas. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.context.onStop?.(this);
  }

  /**
   * Runs one publish round now (the timer runs one every `publishIntervalMs`; a settled trial runs one at
   * once) and resolves once its reply is applied or it failed. Never rejects. With a round's store call
   * still outstanding, the round runs once that call settles.
   */
  publish(): Promise<void> {
    if (this.outstanding === undefined) return this.round();
    // The last round got no reply in time: what was counted since goes nowhere (the local breaker has it).
    if (this.mode === 'local') this.dropCounts();
    // One store call outstanding at most: a stopped (SIGSTOP) server collects no pile of them.
    return (this.queued ??= this.outstanding.then(() => {
      this.queued = undefined;
      return this.stopped ? undefined : this.round();
    }));
  }

  private round(): Promise<void> {
    const batch = {
      now: this.context.clock.wall(),
      replicaId: this.context.replicaId,
      holderId: this.holderId,
      successes: this.successes,
      failures: this.failures,
      trailingFailures: this.sawSuccess ? this.trailing : -1,
      wantsLease: this.refused > 0 || this.trialRunning,
      trial: this.trialOutcome,
    };
    // Counts go out once: a failed round drops them (the local breaker counted them anyway).
    this.dropCounts();
    this.trialOutcome = undefined;
    const carriesTrial = batch.trial !== undefined;
    return new Promise<void>((resolve) => {
      let done = false;
      const finish = (view: SharedView | undefined, error: unknown): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        try {
          this.applyRound(view, error, carriesTrial);
        } catch (failure) {
          reportInternalError('error_recovery', failure);
        }
        resolve();
      };
      const timeoutMs = roundTimeoutMs(this.context.store, this.config.publishIntervalMs);
      // Waiting longer would leave the replica on a stale shared state: fall back to the local breaker.
      const timer = setTimeout(() => finish(undefined, new Error(`no reply from the store within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
      let pending: Promise<unknown>;
      try {
        pending = runRound(this.context.store, this.keys, this.settings, batch);
      } catch (error) {
        pending = Promise.reject(error);
      }
      this.outstanding = pending.then(
        (reply) => {
          this.outstanding = undefined;
          let view: SharedView;
          try {
            view = parseReply(reply);
          } catch (error) {
            finish(undefined, error);
            return;
          }
          finish(view, undefined);
        },
        (error: unknown) => {
          this.outstanding = undefined;
          finish(undefined, error);
        },
      );
    });
  }

  /** Plain JSON for the status page. */
  status(): SharedBreakerStatus {
    const view = this.view;
    return {
      operation: this.operation,
      key: this.key,
      mode: this.mode,
      sharedState: view?.state ?? null,
      localState: this.local.state,
      replicas: view?.replicas ?? 0,
      calls: view?.calls ?? 0,
      failures: view?.failures ?? 0,
      leaseHolder: view?.leaseHolder ?? null,
      holdsLease: view?.leaseHolder === this.holderId,
      publishes: this.publishes,
      publishFailures: this.publishFailures,
      lastPublishAt: this.lastPublishAt,
      lastError: this.lastError,
    };
  }

  private dropCounts(): void {
    this.successes = this.failures = this.trailing = this.refused = 0;
    this.sawSuccess = false;
  }

  private applyRound(view: SharedView | undefined, error: unknown, carriedTrial: boolean): void {
    if (carriedTrial || view === undefined) this.awaitingVerdict = false;
    if (view === undefined) {
      this.publishFailures++;
      this.lastError = error instanceof Error ? error.message : String(error);
      this.mode = 'local';
    } else {
      this.publishes++;
      this.lastPublishAt = this.context.clock.wall();
      this.view = view;
      this.retryAt = this.context.clock.monotonic() + view.retryAfterMs;
      this.mode = 'shared';
    }
    this.refresh();
  }

  private async trial<T>(fn: () => Promise<T>): Promise<T> {
    this.trialRunning = true;
    try {
      const value = await fn();
      this.trialOutcome = 'success';
      return value;
    } catch (error) {
      // An error that does not count (an abort, the layer's own refusal) settles nothing: the lease stays.
      if (this.local.isFailure(error)) this.trialOutcome = 'failure';
      throw error;
    } finally {
      this.trialRunning = false;
      if (this.trialOutcome !== undefined) {
        this.awaitingVerdict = true;
        if (!this.stopped) void this.publish();
      }
    }
  }

  private refresh(): void {
    const next = this.mode === 'shared' ? this.view!.state : this.local.state;
    if (next === this.reported) return;
    const from = this.reported;
    this.reported = next;
    this.stateSince = this.context.clock.wall();
    this.transitions.emit({ from, to: next });
  }
}
