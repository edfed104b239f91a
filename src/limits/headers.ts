import { RateLimitedError } from '../errors.js';
import type { RateLimitDecision } from './decision.js';

/** HTTP response header fields for a decision. */
export type RateLimitHeaders = Record<string, string>;

/** Largest RFC 8941 sf-integer: 15 digits. */
export const MAX_SF_INTEGER = 999_999_999_999_999;

/** `n` as an sf-integer: rounded as `round` says, clamped to 0..MAX_SF_INTEGER (NaN is 0, Infinity the maximum). */
function sfInteger(n: number, round: (n: number) => number): string {
  if (!(n > 0)) return '0';
  return String(n >= MAX_SF_INTEGER ? MAX_SF_INTEGER : round(n));
}

function policyName(name: string): string {
  // An sf-string: printable ASCII, with `"` and `\` escaped.
  return `"${name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * Standard headers for a decision: `RateLimit-Policy` and `RateLimit` as in the IETF draft
 * (draft-ietf-httpapi-ratelimit-headers, `"name";q=<limit>;w=<window s>` and `"name";r=<remaining>;t=<reset s>`),
 * plus `Retry-After` in seconds when refused. Given a `RateLimitedError` (no policy known), only `Retry-After`
 * and a `RateLimit` with r=0 are set. Every number is a non-negative sf-integer of at most 15 digits (RFC 8941):
 * larger values (a window of 1e21 s from a tiny refill rate) are clamped to 999999999999999.
 */
export function rateLimitHeaders(decision: RateLimitDecision | RateLimitedError, name = 'default'): RateLimitHeaders {
  const policy = policyName(name);
  if (decision instanceof RateLimitedError) {
    const seconds = retrySeconds(decision.retryAfterMs);
    return seconds === undefined
      ? { RateLimit: `${policy};r=0` }
      : { 'Retry-After': String(seconds), RateLimit: `${policy};r=0;t=${seconds}` };
  }
  const headers: RateLimitHeaders = {
    'RateLimit-Policy': `${policy};q=${sfInteger(decision.limit, Math.floor)};w=${atLeastOne(sfInteger(decision.windowMs / 1000, Math.ceil))}`,
  };
  if (decision.allowed) {
    headers.RateLimit = `${policy};r=${sfInteger(decision.remaining, Math.floor)};t=${sfInteger(decision.resetMs / 1000, Math.ceil)}`;
    return headers;
  }
  const seconds = retrySeconds(decision.retryAfterMs);
  headers.RateLimit = seconds === undefined ? `${policy};r=0` : `${policy};r=0;t=${seconds}`;
  if (seconds !== undefined) headers['Retry-After'] = String(seconds);
  return headers;
}

function atLeastOne(seconds: string): string {
  return seconds === '0' ? '1' : seconds;
}

function retrySeconds(ms: number): string | undefined {
  return ms === Infinity ? undefined : atLeastOne(sfInteger(ms / 1000, Math.ceil));
}
