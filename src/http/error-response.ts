import { rateLimitOf } from '../limits/call-rate-limit.js';
import { rateLimitHeaders } from '../limits/headers.js';
import { codeTraitsOf } from '../errors.js';

/** The status and headers an HTTP service answers for an error of this layer (`errorResponse`). */
export interface ErrorResponse {
  /** 429, 503, 504, 499, 400 or 500. */
  readonly status: number;
  /**
   * `retry-after` (whole seconds, at least 1) when the error says how long to wait and the status is 429 or 503;
   * `ratelimit` and `ratelimit-policy` when the call was rate-limited (refused, or admitted and then failed).
   */
  readonly headers: Readonly<Record<string, string>>;
  /** The error's stable code, or `INTERNAL` for an error of the application's own. */
  readonly code: string;
}

/**
 * How an HTTP adapter answers a refused or failed protected call, by the `httpStatus` of `ERROR_CODES`: `RATE_LIMITED` 429; `OVERLOADED`,
 * `THROTTLED`, `SHUTTING_DOWN`, `CIRCUIT_OPEN`, `BULKHEAD_REJECTED`, `RESOURCE_EXHAUSTED` 503; `TIMEOUT` and
 * `DEADLINE_EXCEEDED` 504; `ABORTED` 499; anything else 500. A `retryAfterMs` becomes `Retry-After` in seconds.
 * The call's rate-limit decision ({@link rateLimitOf}) becomes `RateLimit` and `RateLimit-Policy`
 * (draft-ietf-httpapi-ratelimit-headers), the policy named after the scope.
 */
export function errorResponse(error: unknown): ErrorResponse {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; retryAfterMs?: unknown };
  const traits = codeTraitsOf(fields);
  const code = traits !== undefined ? (fields.code as string) : 'INTERNAL';
  const status: number = traits?.httpStatus ?? 500;
  const wait = fields.retryAfterMs;
  const headers: Record<string, string> =
    (status === 429 || status === 503) && typeof wait === 'number' && Number.isFinite(wait) && wait >= 0
      ? { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) }
      : {};
  const decision = rateLimitOf(error);
  if (decision !== undefined) {
    const limit = rateLimitHeaders(decision, decision.scope);
    headers.ratelimit = limit.RateLimit!;
    if (limit['RateLimit-Policy'] !== undefined) headers['ratelimit-policy'] = limit['RateLimit-Policy'];
  }
  return { status, headers, code };
}
