/**
 * The contracts between `ProductionSystem` and the components behind its seven steps. Each component folder
 * implements one; `system.ts` meets them only through these, so a component can be swapped or tested alone.
 */
import type { Span } from '@opentelemetry/api';
import type { DeadlineSignal } from './deadlines/wait.js';
import type { Guard } from './guard.js';
import type { Criticality } from './errors.js';
import type { BreakerState } from './recovery/snapshot.js';
import type { LogLevel } from './monitoring/snapshot.js';
import type { CallRateLimit } from './limits/decision.js';

/** Steps 1 and 2: the shutdown gate and active-request tracking (`src/shutdown/`). */
export interface ShutdownGate {
  /** True once new operations are refused. */
  isShuttingDown(): boolean;
  /** Counts one request in flight until the guard is released; throws SHUTTING_DOWN when not accepting. */
  trackActiveRequest(): Guard;
  /** Aborted when draining gives up on the requests still running (they are abandoned). */
  readonly abandonSignal: AbortSignal;
}

/** Step 3: rate limits (`src/limits/`). Synchronous when every limiter is in memory (the hot path). */
export interface RateLimitGate {
  /** Throws RATE_LIMITED (with `scope` and `retryAfterMs`) when the global, operation or user limit refuses. */
  checkRateLimit(operationName: string, userId: string | undefined): void | Promise<void>;
  /** The call's decision as of now (the tightest scope's), read without consuming; for the `RateLimit` headers. */
  rateLimitDecision?(operationName: string, userId: string | undefined): CallRateLimit | undefined;
}

/** Steps 4 and 5: resource limits and the operation permit (`src/limits/`). */
export interface ResourceGate {
  /** Throws RESOURCE_EXHAUSTED naming the resource when a sampled limit is exceeded. */
  checkResourceLimits(estimatedMemoryBytes?: number): void;
  /** A permit now, or undefined when none is free. */
  tryAcquireOperationPermit(): Guard | undefined;
  /** Waits for a permit up to the configured timeout or until `signal` aborts; throws BULKHEAD_REJECTED. */
  acquireOperationPermit(signal?: AbortSignal): Promise<Guard>;
}

/** How a call held under an adaptive limit ended: a latency sample, a drop (timeout, overload downstream), or neither. */
export type AdmissionOutcome = 'success' | 'dropped' | 'ignore';

/** A slot under step 5's adaptive limit; `release(outcome)` gives it back and teaches the limit. */
export interface AdmissionPermit {
  release(outcome?: AdmissionOutcome): void;
}

/**
 * Step 5's overload control for one operation (`src/overload/`): criticality shedding and an adaptive
 * concurrency limit. Exists only for operations under overload control, so the others pay nothing.
 */
export interface OperationAdmission {
  /** The operation's default class, if configured. */
  readonly criticality: Criticality | undefined;
  /** A slot now, or undefined when the call must wait; throws OVERLOADED when Node's signals shed its class. */
  tryAcquire(criticality: Criticality): AdmissionPermit | undefined;
  /** A slot, waiting in the bounded queue; rejects with OVERLOADED, or ABORTED when `signal` fires. */
  acquire(criticality: Criticality, signal?: AbortSignal): Promise<AdmissionPermit>;
}

/** Steps 5 and 6's overload control (`src/overload/`): adaptive limits, criticality, client-side throttling. */
export interface OverloadGate {
  /** The operation's admission, or undefined when no overload control applies to it. */
  admissionFor(operationName: string): OperationAdmission | undefined;
  /** Class of calls that name none and have no operation default or baggage entry. */
  readonly defaultCriticality: Criticality;
}

/** Client-side throttling of one named dependency, as step 6 uses it. */
export interface DependencyThrottle {
  /** Counts one request; throws THROTTLED when it is refused locally. */
  check(): void;
  /** Records how a sent call ended (`undefined` for success). */
  record(error: unknown): void;
}

/** What a protected operation receives (`executeProtectedOperation`'s `operation(ctx)`). */
export interface OperationContext {
  /** Aborts on this attempt's timeout, the caller's abort, or a shutdown giving up on the request. */
  readonly signal: AbortSignal;
  /**
   * False when no timeout, deadline or caller's signal can abort this attempt (only a shutdown giving up on
   * it, which stops waiting for it either way): `signal` need not be handed on. Absent means true.
   */
  readonly abortable?: boolean;
  /** 1-based number of this attempt. */
  readonly attempt: number;
  /** Correlation ID of the call (caller's, baggage's, or the trace ID). */
  readonly correlationId: string;
  /** The operation's span; the operation runs in its context, so the user's own spans nest under it. */
  readonly span: Span;
  /** The user the call is made for, if any. */
  readonly userId: string | undefined;
  /** The operation's name. */
  readonly operationName: string;
  /**
   * The call's rate-limit decision (its tightest scope's), undefined when no limit applies: what the
   * `RateLimit` and `RateLimit-Policy` headers of the response say (`setRateLimitHeaders(res, ctx)`).
   */
  readonly rateLimit: CallRateLimit | undefined;
}

/** Per-call state of one protected call (deadline, signals, class, correlation, span), shared by its attempts and told to listeners. */
export interface CallState {
  readonly operationName: string;
  readonly userId: string | undefined;
  readonly correlationId: string;
  readonly span: Span;
  /** The caller's own abort signal. */
  readonly callerSignal: AbortSignal | undefined;
  /** Fired when a shutdown abandons in-flight requests. */
  readonly abandonSignal: AbortSignal | undefined;
  /** The call's class, resolved at admission when overload control applies to the operation. */
  criticality?: Criticality;
  /**
   * When the call must be over: absolute time on the monotonic clock (ms), from `options.deadlineMs` or
   * inherited from the context (a caller's deadline, a request's header); undefined when it has none.
   */
  readonly deadline: number | undefined;
  /** The signal waits of this call end on when it has a deadline; made on first wait, disposed when the call ends. */
  deadlineSignal: DeadlineSignal | undefined;
  /**
   * Attempts started so far, hedges included: the call's tally. Each attempt's own state (its number, timing,
   * signal, error) is the attempt stages' `AttemptContext`, so attempts running at once share no field.
   */
  attempts: number;
  /** The call's rate-limit decision once read (see `OperationContext.rateLimit`). */
  rateLimit?: CallRateLimit | undefined;
  /** Where it is read from on first use, when the rate limits were decided in this process. */
  rateLimits?: RateLimitGate | undefined;
}

/** Step 7's statistics of one operation (the seed's per-operation stats). */
export interface OperationRecorder {
  /** Records one finished call. */
  record(success: boolean, seconds: number): void;
  /** Records one call refused before it ran. */
  recordRejection(): void;
}

/** Step 6 for one operation name: its recovery policies, built once and cached (`recovery.policyFor(name)`). */
export interface OperationPolicy {
  /** Runs `operation` for `call` through the operation's retry, breaker, bulkhead and timeout. */
  execute<T>(operation: (ctx: OperationContext) => Promise<T>, call: CallState, idempotent: boolean): Promise<T>;
  /** The operation's statistics, which step 7 records into. */
  readonly stats: OperationRecorder;
}

/** Why a retry did not start: the retry budget was empty, the deadline left too little time, or the error's Retry-After was too long. */
export type RetrySkipReason = 'budget' | 'deadline' | 'retry_after';

/** What step 6 (`src/recovery/`) reports while it works; telemetry listens, recovery knows no spans or logs. */
export interface RecoveryListener {
  /** Attempt `failedAttempt` (1-based) failed with `error`; the next starts after `delayMs`. */
  onRetry(call: CallState, failedAttempt: number, delayMs: number, error: unknown): void;
  /**
   * Attempt `failedAttempt` failed with a retryable `error`, but no retry starts (`reason`); the call fails
   * with `error`. `budget` names the retry budget that was asked (dependency or operation), if any.
   */
  onRetrySkipped?(call: CallState, failedAttempt: number, reason: RetrySkipReason, error: unknown, budget: string | undefined): void;
}

export type { BreakerState } from './recovery/snapshot.js';

/** A breaker of one operation changed state (`recovery.onBreakerTransition`). */
export interface BreakerTransition {
  readonly operation: string;
  readonly from: BreakerState;
  readonly to: BreakerState;
}

/** The part of the monitor's health every monitor has. */
export interface MonitorStatus {
  readonly status: 'healthy' | 'warning' | 'critical';
  readonly problems: readonly string[];
}

export type { LogLevel } from './monitoring/snapshot.js';

/** Step 7's log sink (`src/monitoring/`). */
export interface OperationLogger {
  /** Writes one structured log record (an OTel log record plus the recent-logs ring). */
  log(level: LogLevel, component: string, operation: string, message: string, metadata?: Record<string, unknown>): void;
}

/** The engine the production layer protects. Every member is optional. */
export interface Engine {
  /** Health of the engine itself, or a promise of it; throw or return `{ healthy: false }` when it is unwell. */
  healthCheck?(): unknown;
  /** Plain statistics, shown on the status page and in the engine health check. */
  stats?(): Record<string, unknown> | Promise<Record<string, unknown>>;
}

/** The monitoring component as the system uses it (`src/monitoring/`'s `ProductionMonitor`). */
export interface MonitorComponent extends OperationLogger {
  /** Prometheus text exposition 0.0.4, what `GET /metrics` serves a scraper that does not ask for OpenMetrics. */
  exportPrometheusMetrics(): Promise<string>;
  /** Plain JSON state of the monitor (`ProductionMonitor`'s is a `MonitorHealth`). */
  healthCheck(): MonitorStatus;
  /** Makes `count` the source of the protected operations in flight (the system's); the guard gives the default back. */
  countActiveOperations(count: () => number): Guard;
  /** Stops background work. */
  shutdown(): Promise<void> | void;
}

export type { ProtectedOperationOptions } from './call-options.js';
