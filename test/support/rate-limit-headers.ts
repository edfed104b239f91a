import { expect } from 'vitest';
import type { RateLimiterConfigInput } from '../../src/limits/index.js';
import { parseList, type SfItem } from './structured-fields.js';

/** One response as a test saw it: status and lower-cased header names. */
export interface SeenResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** A per-user policy of each algorithm, the calls it admits from a fresh start, and its window in seconds. */
export interface AlgorithmCase {
  readonly name: string;
  readonly policy: RateLimiterConfigInput;
  /** Calls admitted in a row before the first refusal. */
  readonly admitted: number;
  /** `q` of `RateLimit-Policy`. */
  readonly limit: number;
  /** `w` of `RateLimit-Policy`. */
  readonly windowSeconds: number;
  /** Largest `t` of an admitted call: the window, plus one sub-window for a sliding window. */
  readonly maxResetSeconds: number;
}

// Windows of a day and next to no refill: nothing comes back while a test runs.
export const ALGORITHM_CASES: readonly AlgorithmCase[] = [
  {
    name: 'token_bucket',
    policy: { algorithm: 'token_bucket', capacity: 4, refillPerSecond: 0.0001 },
    admitted: 4,
    limit: 4,
    windowSeconds: 40_000,
    maxResetSeconds: 40_000,
  },
  {
    name: 'fixed_window',
    policy: { algorithm: 'fixed_window', limit: 4, windowMs: 86_400_000 },
    admitted: 4,
    limit: 4,
    windowSeconds: 86_400,
    maxResetSeconds: 86_400,
  },
  {
    name: 'sliding_window',
    policy: { algorithm: 'sliding_window', limit: 4, windowMs: 86_400_000, subWindows: 10 },
    admitted: 4,
    limit: 4,
    windowSeconds: 86_400,
    // A request counts until its sub-window has left the window.
    maxResetSeconds: 86_400 + 8_640,
  },
  // No waiting allowed: one admitted, then the next must wait for the unit to leak (every 10,000 s).
  {
    name: 'leaky_bucket',
    policy: { algorithm: 'leaky_bucket', capacity: 4, leakPerSecond: 0.0001, maxWaitMs: 0 },
    admitted: 1,
    limit: 4,
    windowSeconds: 40_000,
    maxResetSeconds: 40_000,
  },
];

/** The one item of a List field, with exactly the parameters `keys`, each a non-negative sf-integer. */
function onlyItem(field: string | undefined, what: string, keys: readonly string[]): { name: unknown; params: Record<string, number> } {
  expect(field, `${what} header`).toBeTypeOf('string');
  const members = parseList(field!);
  expect(members, `${what}: one policy item`).toHaveLength(1);
  const item = members[0] as SfItem;
  expect('value' in item, `${what}: an item, not an inner list`).toBe(true);
  expect([...item.params.keys()].sort(), `${what}: parameters`).toEqual([...keys].sort());
  const params: Record<string, number> = {};
  for (const [key, value] of item.params) {
    expect(Number.isInteger(value) && (value as number) >= 0, `${what}: ${key} a non-negative sf-integer`).toBe(true);
    params[key] = value as number;
  }
  return { name: item.value, params };
}

/**
 * Checks `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers, RFC 8941 structured
 * fields) on the responses to `case.admitted + refused` calls of one fresh user: each admitted one 200 with its
 * remaining counting down (leaky bucket: its queue's room), each refused one 429 with r=0 and t = Retry-After.
 */
export function expectRateLimitHeaders(responses: readonly SeenResponse[], c: AlgorithmCase, scope = 'user'): void {
  responses.forEach((response, i) => {
    const what = `${c.name}, response ${i + 1}`;
    const policy = onlyItem(response.headers['ratelimit-policy'], `${what} RateLimit-Policy`, ['q', 'w']);
    expect(policy).toEqual({ name: scope, params: { q: c.limit, w: c.windowSeconds } });
    const limit = onlyItem(response.headers['ratelimit'], `${what} RateLimit`, ['r', 't']);
    expect(limit.name, what).toBe(scope);
    if (i < c.admitted) {
      expect(response.status, what).toBe(200);
      expect(limit.params.r, `${what} remaining`).toBe(c.name === 'leaky_bucket' ? c.limit - 1 : c.limit - i - 1);
      expect(limit.params.t, `${what} reset`).toBeLessThanOrEqual(c.maxResetSeconds);
      expect(response.headers['retry-after'], what).toBeUndefined();
    } else {
      expect(response.status, what).toBe(429);
      expect(limit.params.r, what).toBe(0);
      expect(limit.params.t, `${what} t`).toBeGreaterThanOrEqual(1);
      expect(response.headers['retry-after'], what).toBe(String(limit.params.t));
    }
  });
}
