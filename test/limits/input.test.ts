import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../src/errors.js';
import {
  MemoryRateLimitStore,
  rateLimitHeaders,
  RateLimitingManager,
  type RateLimitDecision,
  type RateLimiterConfig,
} from '../../src/limits/index.js';
import { createRateLimiter, createAlgorithm, SingleRateLimiter } from '../../src/limits/keyed-limiter.js';

const fixed = (limit: number): RateLimiterConfig => ({ algorithm: 'fixed_window', limit, windowMs: 3_600_000 });

const managers: RateLimitingManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.shutdown()));
});

describe('bad input', () => {
  it.each([42, null, {}, ['a']])('checkRateLimit(op, %j) is INVALID_CONFIG at userId, with or without limits', (userId) => {
    for (const config of [{}, { perUser: fixed(5) }]) {
      const m = new RateLimitingManager(config, {}, { metrics: false });
      managers.push(m);
      expect(() => m.checkRateLimit('op', userId as never)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', path: 'userId' }));
    }
  });

  it('an operation name that is not a string is INVALID_CONFIG at operationName', () => {
    const m = new RateLimitingManager({ global: fixed(5) }, {}, { metrics: false });
    managers.push(m);
    expect(() => m.checkRateLimit(42 as never, 'u')).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', path: 'operationName' }));
    expect(() => m.checkRateLimit('op', 'u')).not.toThrow(RateLimitedError);
  });

  it.each([42, null, {}, ['a']])('tryAcquire(%j) on the in-memory limiters is INVALID_CONFIG at userId', (key) => {
    const invalid = expect.objectContaining({ code: 'INVALID_CONFIG', path: 'userId' });
    expect(() => createRateLimiter(fixed(5)).tryAcquire(key as never)).toThrow(invalid);
    expect(() => new SingleRateLimiter(createAlgorithm(fixed(5))).tryAcquire(key as never)).toThrow(invalid);
    expect(() => new MemoryRateLimitStore().tryConsume('user', key as never)).toThrow(invalid);
  });
});

// RFC 8941 sf-integers: at most 15 digits, no exponent, no fraction.
const SF_INTEGER = /^\d{1,15}$/;

function numbersIn(headers: Record<string, string>): string[] {
  return Object.values(headers).flatMap((v) =>
    [...v.matchAll(/[;=]?(?:q|w|r|t)=([^;]*)/g)].map((m) => m[1]!).concat(/^[^"]/.test(v) ? [v] : []),
  );
}

describe('rateLimitHeaders', () => {
  it('never prints more than 15 digits: a refill of 1e-12 per second has a window of 999999999999999 s', () => {
    const limiter = createRateLimiter({ algorithm: 'token_bucket', capacity: 1e9, refillPerSecond: 1e-12 });
    for (const cost of [1, 1e9, 1]) {
      const headers = rateLimitHeaders(limiter.tryAcquire('u', cost));
      expect(headers['RateLimit-Policy']).toBe(`"default";q=1000000000;w=999999999999999`);
      for (const n of numbersIn(headers)) expect(n).toMatch(SF_INTEGER);
    }
  });

  it('prints only integers of at most 15 digits for any decision', () => {
    const number = fc.oneof(fc.double(), fc.constantFrom(0, -0, 1e21, -1e21, Infinity, -Infinity, Number.NaN, 0.4, 1e-12, 1e15));
    fc.assert(
      fc.property(
        fc.boolean(),
        number,
        number,
        number,
        number,
        number,
        number,
        (allowed, remaining, limit, retryAfterMs, resetMs, waitMs, windowMs) => {
          const decision: RateLimitDecision = { allowed, remaining, limit, retryAfterMs, resetMs, waitMs, windowMs };
          const headers = rateLimitHeaders(decision, 'api');
          for (const n of numbersIn(headers)) expect(n).toMatch(SF_INTEGER);
          const refused = rateLimitHeaders(new RateLimitedError('user', retryAfterMs));
          for (const n of numbersIn(refused)) expect(n).toMatch(SF_INTEGER);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
