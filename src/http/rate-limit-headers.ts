import { rateLimitOf } from '../limits/call-rate-limit.js';
import { rateLimitHeaders } from '../limits/headers.js';

/** Where response headers go: node's `ServerResponse` (and Express's `res`), or a Fastify `reply`. */
export type HeaderTarget = { setHeader(name: string, value: string): unknown } | { header(name: string, value: string): unknown };

/**
 * Writes the call's `RateLimit` and `RateLimit-Policy` headers (draft-ietf-httpapi-ratelimit-headers; the
 * policy is named after the scope: `"user";q=30;w=1` and `"user";r=29;t=1`), plus `Retry-After` for a refusal,
 * on a node:http or Express response or a Fastify reply. `source` is the operation's `ctx`, the error the call
 * was refused or failed with, or a decision ({@link rateLimitOf}). Returns false, writing nothing, when no
 * rate limit applied to the call. Call it before the response's headers are sent.
 */
export function setRateLimitHeaders(target: HeaderTarget, source: unknown): boolean {
  const decision = rateLimitOf(source);
  if (decision === undefined) return false;
  const headers = rateLimitHeaders(decision, decision.scope);
  for (const [name, value] of Object.entries(headers)) {
    if ('setHeader' in target) target.setHeader(name, value);
    else target.header(name, value);
  }
  return true;
}
