import { RateLimitedError } from '../errors.js';
import type { RateLimitDecision } from './decision.js';

/** HTTP response header fields for a decision. */
export type RateLimitHeaders = Record<string, string>;

function policyName(name: string): string {
  // An sf-string: printable ASCII, with `"` and `\` escaped.
  return `"${name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * Standard headers for a decision: `RateLimit-Policy` and `RateLimit` as in the IETF draft
 * (draft-ietf-httpapi-ratelimit-headers, `"name";q=<limit>;w=<window s>` and `"name";r=<remaining>;t=<reset s>`),
 * plus `Retry-After` in seconds when refused. Given a `RateLimitedError` (no policy known), only
 * `Retry-After` and a `RateLimit` with r=0 are set.
 */
export function rateLimitHeaders(decision: RateLimitDecision | RateLimitedError, name = 'default'): RateLimitHeaders {
  const policy = policyName(name);
  if (decision instanceof RateLimitedError) {
    const seconds = retrySeconds(decision.retryAfterMs);
    return seconds === undefined ? { RateLimit: `${policy};r=0` } : { 'Retry-After': String(seconds), RateLimit: `${policy};r=0;t=${seconds}` };
  }
  const headers: RateLimitHeaders = {
    'RateLimit-Policy': `${policy};q=${Math.floor(decision.limit)};w=${Math.max(1, Math.ceil(decision.windowMs / 1000))}`,
  };
  if (decision.allowed) {
    headers.RateLimit = `${policy};r=${Math.max(0, Math.floor(decision.remaining))};t=${Math.ceil(decision.resetMs / 1000)}`;
    return headers;
  }
  const seconds = retrySeconds(decision.retryAfterMs);
  headers.RateLimit = seconds === undefined ? `${policy};r=0` : `${policy};r=0;t=${seconds}`;
  if (seconds !== undefined) headers['Retry-After'] = String(seconds);
  return headers;
}

function retrySeconds(ms: number): number | undefined {
  return Number.isFinite(ms) ? Math.max(1, Math.ceil(ms / 1000)) : undefined;
}
