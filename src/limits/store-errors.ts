import { RateLimitedError } from '../errors.js';

/**
 * The rate-limit store (Redis) could not decide and the failure mode is `fail_closed`. It keeps the
 * `RATE_LIMITED` code, so callers that already handle refusals back off, but it is never the caller's own
 * limit: `storeUnavailable` is true, the message says so, and `scope` is `global` because the outage refuses
 * every caller alike. `retryAfterMs` is the time until the store is probed again.
 */
export class RateLimitStoreUnavailableError extends RateLimitedError {
  /** Always true: tells a store outage from a limit being hit. */
  readonly storeUnavailable = true as const;
  /** Why the store failed (last error message), when known. */
  readonly reason: string | undefined;

  constructor(retryAfterMs: number, reason: string | undefined) {
    super(
      'global',
      retryAfterMs,
      `Rate-limit store unavailable${reason ? ` (${reason})` : ''}; refusing under failureMode fail_closed; retry after ${Math.ceil(retryAfterMs)} ms`,
    );
    this.reason = reason;
  }
}
