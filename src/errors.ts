/**
 * Typed errors raised by the production layer. Every class carries a stable `code` string, so callers can
 * branch on `err.code` across package versions and process boundaries (errors survive `JSON.stringify`).
 */

import type { CallRateLimit } from './limits/decision.js';
import type { ResourceName } from './limits/snapshot.js';
import type { Criticality } from './overload/snapshot.js';

/** Stable error codes, one per failure the production layer itself raises. */
export type ProductionErrorCode =
  | 'SHUTTING_DOWN'
  | 'RATE_LIMITED'
  | 'RESOURCE_EXHAUSTED'
  | 'BULKHEAD_REJECTED'
  | 'CIRCUIT_OPEN'
  | 'TIMEOUT'
  | 'INVALID_CONFIG'
  | 'ABORTED'
  | 'OVERLOADED'
  | 'THROTTLED'
  | 'DEADLINE_EXCEEDED';

/**
 * What a code means to every part that classifies errors. One row per code, so a new code cannot be added
 * without deciding all of it, and a misspelt code does not compile.
 */
export interface CodeTraits {
  /** The status an HTTP adapter answers (`errorResponse`). */
  readonly httpStatus: 400 | 429 | 499 | 503 | 504;
  /**
   * `refusal`: the layer declined to run (or to go on running) the call, so nothing of the user's failed;
   * `failure`: the call ran and failed; `cancelled`: the caller itself gave up.
   */
  readonly kind: 'refusal' | 'failure' | 'cancelled';
  /** A retry may help (only TIMEOUT: the layer's own refusals are never retried). */
  readonly retryable: boolean;
  /** Counts as a circuit-breaker failure (only TIMEOUT). */
  readonly breakerFailure: boolean;
  /**
   * Client-side throttling counts the call as accepted by the dependency. Rule: every code answered 429 or 503
   * is a "not now" from the dependency, so it is a refusal for the throttle; the rest mean it took the call.
   */
  readonly throttleAccepted: boolean;
  /**
   * Seen from a nested call, a sign this service is past what it can serve, so the adaptive limit shrinks
   * (the call's outcome is `dropped`). A broken (CIRCUIT_OPEN), closing (SHUTTING_DOWN) or slot-capped
   * (BULKHEAD_REJECTED) dependency is not load on this service.
   */
  readonly overloadSignal: boolean;
}

const refusal = (httpStatus: 429 | 503 | 504, overloadSignal: boolean): CodeTraits => ({
  httpStatus,
  kind: 'refusal',
  retryable: false,
  breakerFailure: false,
  throttleAccepted: httpStatus !== 429 && httpStatus !== 503,
  overloadSignal,
});

/**
 * The one table of error codes. RESOURCE_EXHAUSTED answers 503, so (issue 25) the throttle now counts it as a
 * refusal, as it does a plain HTTP 503, and it shrinks the adaptive limit like OVERLOADED does.
 */
export const ERROR_CODES = {
  SHUTTING_DOWN: refusal(503, false),
  RATE_LIMITED: refusal(429, true),
  RESOURCE_EXHAUSTED: refusal(503, true),
  BULKHEAD_REJECTED: refusal(503, false),
  CIRCUIT_OPEN: refusal(503, false),
  OVERLOADED: refusal(503, true),
  THROTTLED: refusal(503, true),
  DEADLINE_EXCEEDED: refusal(504, false),
  TIMEOUT: { httpStatus: 504, kind: 'failure', retryable: true, breakerFailure: true, throttleAccepted: true, overloadSignal: false },
  INVALID_CONFIG: {
    httpStatus: 400,
    kind: 'failure',
    retryable: false,
    breakerFailure: false,
    throttleAccepted: true,
    overloadSignal: false,
  },
  ABORTED: { httpStatus: 499, kind: 'cancelled', retryable: false, breakerFailure: false, throttleAccepted: true, overloadSignal: false },
} as const satisfies Record<ProductionErrorCode, CodeTraits>;

/**
 * The table row of an error's `code` when it is one of ours: read from any object carrying the code, since a
 * nested service's or a dependency's typed error arrives as a plain object too.
 */
export function codeTraitsOf(error: unknown): CodeTraits | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, code)
    ? ERROR_CODES[code as ProductionErrorCode]
    : undefined;
}

/** The traits of an error raised by this process's layer; undefined for the application's own errors. */
function ownTraitsOf(error: unknown): CodeTraits | undefined {
  return error instanceof ProductionError ? ERROR_CODES[error.code] : undefined;
}

/** Worth a retry: the application's own errors are, of the layer's only those the table marks retryable. */
export function isRetryableError(error: unknown): boolean {
  return ownTraitsOf(error)?.retryable ?? true;
}

/** Counts as a breaker failure: the application's own errors do, of the layer's only those the table marks. */
export function isBreakerFailure(error: unknown): boolean {
  return ownTraitsOf(error)?.breakerFailure ?? true;
}

/** Base class of every error the production layer raises. A user's own error is never wrapped in this. */
export abstract class ProductionError extends Error {
  /** Stable machine-readable code. */
  abstract readonly code: ProductionErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  /** Plain JSON form, so the code and fields survive serialisation. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, message: this.message };
    for (const key of Object.keys(this)) out[key] = (this as unknown as Record<string, unknown>)[key];
    out.code = this.code;
    return out;
  }
}

/** The system is shutting down and accepts no new operations. */
export class ShuttingDownError extends ProductionError {
  readonly code = 'SHUTTING_DOWN' as const;
  constructor(message = 'The system is shutting down and accepts no new operations') {
    super(message);
  }
}

/** Which limiter refused a call. */
export type RateLimitScope = 'global' | 'operation' | 'user';

/** A rate limit refused the call. */
export class RateLimitedError extends ProductionError {
  readonly code = 'RATE_LIMITED' as const;
  /** How long to wait before the same call can be admitted, in milliseconds. */
  readonly retryAfterMs: number;
  /** Which limiter refused. */
  readonly scope: RateLimitScope;
  /** The refusing scope's decision (its policy, for the `RateLimit-Policy` header), when the store could tell. */
  readonly decision: CallRateLimit | undefined;
  constructor(scope: RateLimitScope, retryAfterMs: number, message?: string, decision?: CallRateLimit) {
    super(message ?? `Rate limit exceeded (${scope}); retry after ${Math.ceil(retryAfterMs)} ms`);
    this.scope = scope;
    this.retryAfterMs = retryAfterMs;
    this.decision = decision;
  }
}

export type { ResourceName } from './limits/snapshot.js';

/** A resource limit refused the call. */
export class ResourceExhaustedError extends ProductionError {
  readonly code = 'RESOURCE_EXHAUSTED' as const;
  /** The exhausted resource. */
  readonly resource: ResourceName;
  /** The value observed, in the resource's unit. */
  readonly current: number;
  /** The configured limit. */
  readonly limit: number;
  constructor(resource: ResourceName, current: number, limit: number) {
    super(`Resource limit exceeded: ${resource} is at ${current}, limit ${limit}`);
    this.resource = resource;
    this.current = current;
    this.limit = limit;
  }
}

/** No concurrency slot and no queue room were available. */
export class BulkheadRejectedError extends ProductionError {
  readonly code = 'BULKHEAD_REJECTED' as const;
  /** The operation refused, when known. */
  readonly operation: string | undefined;
  constructor(operation?: string, message?: string) {
    super(message ?? `No execution slot or queue room for ${operation ?? 'the operation'}`);
    this.operation = operation;
  }
}

/** The operation's circuit breaker is open (or its half-open trial slots are taken). */
export class CircuitOpenError extends ProductionError {
  readonly code = 'CIRCUIT_OPEN' as const;
  /** The operation whose breaker is open. */
  readonly operation: string;
  /** Milliseconds until the breaker lets a trial call through; 0 when a trial may run now. */
  readonly retryAfterMs: number;
  constructor(operation: string, retryAfterMs: number) {
    super(`Circuit breaker for ${operation} is open; retry after ${Math.ceil(retryAfterMs)} ms`);
    this.operation = operation;
    this.retryAfterMs = retryAfterMs;
  }
}

/** An attempt ran past its timeout; its `signal` was aborted. */
export class TimeoutError extends ProductionError {
  readonly code = 'TIMEOUT' as const;
  /** The timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;
  /** The operation that timed out. */
  readonly operation: string;
  constructor(operation: string, timeoutMs: number) {
    super(`${operation} timed out after ${timeoutMs} ms`);
    this.operation = operation;
    this.timeoutMs = timeoutMs;
  }
}

/** The caller's own `AbortSignal` ended the operation (never reported as a timeout). */
export class AbortedError extends ProductionError {
  readonly code = 'ABORTED' as const;
  constructor(reason?: unknown) {
    super('The operation was aborted by its caller', { cause: reason });
  }
}

export type { Criticality } from './overload/snapshot.js';

/** Why the overload control refused a call. */
export type OverloadReason = 'limit' | 'queue_full' | 'queue_timeout' | 'queue_delay' | 'signals' | 'closed';

/**
 * The adaptive concurrency limit or criticality shedding refused the call: the service is past what it can
 * serve well. HTTP adapters answer 503 with `Retry-After`. Never retried, never a breaker failure.
 */
export class OverloadedError extends ProductionError {
  readonly code = 'OVERLOADED' as const;
  /** A hint of how long to wait before trying again, in milliseconds. */
  readonly retryAfterMs: number;
  /** The class of the refused call. */
  readonly criticality: Criticality;
  /** What refused it: the limit, a full queue, a queue wait that ran out, the event loop's queue delay, Node's own signals, or a shutdown. */
  readonly reason: OverloadReason;
  /** The operation refused. */
  readonly operation: string;
  constructor(operation: string, criticality: Criticality, reason: OverloadReason, retryAfterMs: number) {
    super(`${operation} refused: overloaded (${reason}, ${criticality}); retry after ${Math.ceil(retryAfterMs)} ms`);
    this.operation = operation;
    this.criticality = criticality;
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * The call's deadline (`options.deadlineMs`, or one inherited from the caller's context or request headers)
 * has passed or leaves less than the margin: the call is refused, its wait or attempt is cut off. Never
 * retried, never a circuit-breaker failure.
 */
export class DeadlineExceededError extends ProductionError {
  readonly code = 'DEADLINE_EXCEEDED' as const;
  /** The operation whose deadline passed. */
  readonly operation: string;
  /** Time that was left when the layer gave up, in milliseconds (0 or negative once passed). */
  readonly remainingMs: number;
  constructor(operation: string, remainingMs: number) {
    super(`${operation}: deadline exceeded (${Math.round(remainingMs)} ms left)`);
    this.operation = operation;
    this.remainingMs = remainingMs;
  }
}

/**
 * Client-side adaptive throttling refused a call to a dependency locally, before sending it: the dependency
 * has been refusing too much of what it was sent. Never retried, never a breaker failure.
 */
export class ThrottledError extends ProductionError {
  readonly code = 'THROTTLED' as const;
  /** The named dependency the call was for. */
  readonly dependency: string;
  /** The refusal probability when the call was refused, 0 to 1. */
  readonly probability: number;
  constructor(dependency: string, probability: number) {
    super(`Call to ${dependency} throttled locally (refusal probability ${probability.toFixed(3)})`);
    this.dependency = dependency;
    this.probability = probability;
  }
}

/**
 * The error a wait ends with when its signal aborts: the deadline's own DEADLINE_EXCEEDED when the call's
 * deadline fired, else ABORTED with the reason as `cause`.
 */
export function abortError(reason: unknown): ProductionError {
  return reason instanceof DeadlineExceededError ? reason : new AbortedError(reason);
}

/** A configuration value, env variable or argument is invalid. `path` names the field. */
export class InvalidConfigError extends ProductionError {
  readonly code = 'INVALID_CONFIG' as const;
  /** Dotted path of the bad field, e.g. `rateLimiting.global.capacity` or `env.PRODUCTION_LOG_LEVEL`. */
  readonly path: string;
  constructor(path: string, message: string) {
    super(`Invalid config at ${path}: ${message}`);
    this.path = path;
  }
}

/**
 * A configuration file is invalid: unreadable, not YAML/JSON, or a field fails validation. The message names the
 * file, the field's path and (when known) its line, e.g. `config.yaml line 12: Invalid config at rateLimiting...`.
 */
export class InvalidConfigFileError extends InvalidConfigError {
  /** Absolute path of the file. */
  readonly file: string;
  /** 1-based line of the bad field (or of its nearest ancestor in the file), when known. */
  readonly line: number | undefined;
  constructor(path: string, message: string, file: string, line?: number) {
    super(path, message);
    this.file = file;
    this.line = line;
    this.message = `${file}${line === undefined ? '' : ` line ${line}`}: ${this.message}`;
  }
}

/** True for any error raised by the production layer itself (never retried, never a breaker failure). */
export function isProductionError(error: unknown): error is ProductionError {
  return error instanceof ProductionError;
}
