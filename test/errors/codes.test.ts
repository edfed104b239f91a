import { describe, expect, it } from 'vitest';
import {
  AbortedError,
  BulkheadRejectedError,
  CircuitOpenError,
  DeadlineExceededError,
  ERROR_CODES,
  InvalidConfigError,
  OverloadedError,
  RateLimitedError,
  ResourceExhaustedError,
  ShuttingDownError,
  ThrottledError,
  TimeoutError,
  codeTraitsOf,
  isBreakerFailure,
  isRetryableError,
  type ProductionError,
  type ProductionErrorCode,
} from '../../src/errors.js';
import { isOverloadRefusal } from '../../src/overload/criticality.js';
import { defaultAccepted } from '../../src/overload/throttle.js';
import { errorResponse } from '../../src/http/error-response.js';

/** One instance of every error class, keyed by its code: the table must cover exactly these. */
const INSTANCES: Record<ProductionErrorCode, ProductionError> = {
  SHUTTING_DOWN: new ShuttingDownError(),
  RATE_LIMITED: new RateLimitedError('global', 1000),
  RESOURCE_EXHAUSTED: new ResourceExhaustedError('memory', 2, 1),
  BULKHEAD_REJECTED: new BulkheadRejectedError('op'),
  CIRCUIT_OPEN: new CircuitOpenError('op', 1000),
  TIMEOUT: new TimeoutError('op', 10),
  INVALID_CONFIG: new InvalidConfigError('a.b', 'bad'),
  ABORTED: new AbortedError(),
  OVERLOADED: new OverloadedError('op', 'critical', 'limit', 1000),
  THROTTLED: new ThrottledError('dep', 0.5),
  DEADLINE_EXCEEDED: new DeadlineExceededError('op', 0),
};

const codes = Object.keys(ERROR_CODES) as ProductionErrorCode[];

describe('the error-code table', () => {
  it('has one row per error class, and each class carries its own code', () => {
    expect(codes.sort()).toEqual(Object.keys(INSTANCES).sort());
    for (const code of codes) expect(INSTANCES[code].code).toBe(code);
  });

  it('is consistent: a refusal is never retried nor a breaker failure; every 429/503 is a refusal the throttle does not count as accepted', () => {
    for (const code of codes) {
      const t = ERROR_CODES[code];
      if (t.kind !== 'failure') expect([code, t.retryable, t.breakerFailure]).toEqual([code, false, false]);
      expect([code, t.throttleAccepted]).toEqual([code, t.httpStatus !== 429 && t.httpStatus !== 503]);
      if (t.httpStatus === 429 || t.httpStatus === 503) expect([code, t.kind]).toEqual([code, 'refusal']);
      if (t.overloadSignal) expect([code, t.kind]).toEqual([code, 'refusal']);
    }
  });

  it('RESOURCE_EXHAUSTED answers 503 and so is a refusal for the throttle and shrinks the limit (issue 25)', () => {
    const error = INSTANCES.RESOURCE_EXHAUSTED;
    expect(errorResponse(error).status).toBe(503);
    expect(defaultAccepted(error)).toBe(false);
    expect(defaultAccepted({ code: 'RESOURCE_EXHAUSTED' })).toBe(false);
    expect(isOverloadRefusal(error)).toBe(true);
  });

  it('every classification reads the table, for every code', () => {
    for (const code of codes) {
      const t = ERROR_CODES[code];
      const error = INSTANCES[code];
      expect([code, errorResponse(error).status, errorResponse(error).code]).toEqual([code, t.httpStatus, code]);
      expect([code, defaultAccepted(error)]).toEqual([code, t.throttleAccepted]);
      expect([code, isOverloadRefusal(error)]).toEqual([code, t.overloadSignal]);
      expect([code, isRetryableError(error)]).toEqual([code, t.retryable]);
      expect([code, isBreakerFailure(error)]).toEqual([code, t.breakerFailure]);
    }
  });

  it("the application's own errors are failures: retried, counted by the breaker, 500, accepted by the throttle", () => {
    const own = new Error('boom');
    expect(codeTraitsOf(own)).toBeUndefined();
    expect(isRetryableError(own)).toBe(true);
    expect(isBreakerFailure(own)).toBe(true);
    expect(errorResponse(own)).toMatchObject({ status: 500, code: 'INTERNAL' });
    expect(defaultAccepted(own)).toBe(true);
    // A code that is not ours (and one inherited from Object.prototype) is no row of the table.
    expect(codeTraitsOf({ code: 'toString' })).toBeUndefined();
    expect(errorResponse({ code: 'NOPE' }).status).toBe(500);
  });

  it('a plain object carrying one of our codes (a nested service) is classified by its code, but never counted as our own refusal', () => {
    const nested = { code: 'CIRCUIT_OPEN', retryAfterMs: 2000 };
    expect(errorResponse(nested)).toMatchObject({ status: 503, headers: { 'retry-after': '2' } });
    expect(defaultAccepted(nested)).toBe(false);
    // Only this process's own refusals are exempt from retry and the breaker.
    expect(isBreakerFailure(nested)).toBe(true);
  });
});
