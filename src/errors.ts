/**
 * Typed errors raised by the production layer. Every class carries a stable `code` string, so callers can
 * branch on `err.code` across package versions and process boundaries (errors survive `JSON.stringify`).
 */

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
  | 'DEADLINE_EXCEEDED';

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
  constructor(scope: RateLimitScope, retryAfterMs: number, message?: string) {
    super(message ?? `Rate limit exceeded (${scope}); retry after ${Math.ceil(retryAfterMs)} ms`);
    this.scope = scope;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Names of the resources the resource limits guard. */
export type ResourceName = 'memory' | 'cpu' | 'operations' | 'db_connections' | 'event_loop_delay';

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

/** True for any error raised by the production layer itself (never retried, never a breaker failure). */
export function isProductionError(error: unknown): error is ProductionError {
  return error instanceof ProductionError;
}
