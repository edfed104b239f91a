// The per-call options of `executeProtectedOperation` and the checks of its arguments.
import { InvalidConfigError, type Criticality } from './errors.js';

/** Longest user ID accepted: it lands on every span and log record of the call. */
export const MAX_ID_LENGTH = 1024;

export function badId(path: string, value: unknown): InvalidConfigError {
  return new InvalidConfigError(
    path,
    typeof value === 'string' ? `is ${value.length} characters; at most ${MAX_ID_LENGTH}` : 'must be a string or undefined',
  );
}

/** Per-call options of `executeProtectedOperation`. */
export interface ProtectedOperationOptions {
  /**
   * Correlation ID to use instead of the baggage's or the trace ID. Used only when it passes
   * `CORRELATION_ID_PATTERN` (1 to 128 safe ASCII characters); otherwise it is ignored and counted.
   */
  correlationId?: string;
  /** The caller's abort: ends waits, retries and the running attempt (its `ctx.signal` aborts). */
  signal?: AbortSignal;
  /** Memory the call expects to use, checked against the memory limit. */
  estimatedMemoryBytes?: number;
  /** False for calls that must not run twice: they are never retried. Default true. */
  idempotent?: boolean;
  /**
   * The call's class under overload (lowest shed first). Default: the operation's configured class, else the
   * incoming W3C baggage entry `criticality`, else `overload.defaultCriticality`. Used only by operations under
   * overload control. A class the call (or its operation) chose is written into the outgoing baggage.
   */
  criticality?: Criticality;
  /**
   * Time the whole call may take, in ms, retries and waits included (a deadline inherited from the context,
   * e.g. from the request's `production-deadline-ms` header, applies when it is earlier). Every wait and
   * attempt ends by it; a call with less than `deadlines.marginMs` left is refused with DEADLINE_EXCEEDED.
   */
  deadlineMs?: number;
}
