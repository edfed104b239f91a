import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { systemClock, type Clock } from '../internal/time.js';
import type { CircuitBreaker } from '../recovery/breaker.js';
import { SharedCircuitBreaker, type SharedBreakerStatus } from './breaker.js';
import { observeSharedBreakers } from './metrics.js';
import type { SharedStateStore } from './store.js';

/** Options of {@link SharedBreakerHub}. */
export interface SharedBreakerHubOptions {
  /** Wall clock of the published rounds and monotonic clock of retry-after times; default the system clock. */
  readonly clock?: Clock;
  /** This replica's id in the store (lease holder, replica count); default `<hostname>:<pid>:<random>`. */
  readonly replicaId?: string;
  /** Register the `production.circuit_breaker.shared.*` instruments; default true. */
  readonly metrics?: boolean;
}

/**
 * The shared breakers of one process, on the process's shared-state store (the Redis or Redis Cluster client
 * of `rateLimiting.store`): builds them for the recovery layer, reports them on the status page and in
 * metrics, and stops their publishing at shutdown.
 */
export class SharedBreakerHub {
  readonly replicaId: string;
  private readonly clock: Clock;
  private readonly breakers = new Set<SharedCircuitBreaker>();
  private readonly unobserve: (() => void) | undefined;

  constructor(
    readonly store: SharedStateStore,
    options: SharedBreakerHubOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.replicaId = options.replicaId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.unobserve = options.metrics === false ? undefined : observeSharedBreakers(() => this.status());
  }

  /** Wraps `local` so it follows the shared state named `key` (`op:<operation>` or `dep:<dependency>`). */
  share(local: CircuitBreaker, key: string): SharedCircuitBreaker {
    const breaker = new SharedCircuitBreaker(local, key, {
      store: this.store,
      clock: this.clock,
      replicaId: this.replicaId,
      onStop: (stopped) => this.breakers.delete(stopped),
    });
    this.breakers.add(breaker);
    return breaker;
  }

  /** Every live shared breaker's status. */
  status(): SharedBreakerStatus[] {
    return [...this.breakers].map((b) => b.status());
  }

  /** Stops every shared breaker's publishing and the metrics callback. */
  stop(): void {
    for (const breaker of [...this.breakers]) breaker.stop();
    this.unobserve?.();
  }
}
