import { RateLimitedError } from '../errors.js';
import type { CallState } from '../pipeline.js';
import type { CallRateLimit } from './decision.js';

/** The decisions of admitted calls that then failed, by their error: `errorResponse` writes their headers too. */
const decisionsByError = new WeakMap<object, CallRateLimit>();

/**
 * The call's rate-limit decision, read once: right after a shared store's reply (its remaining is in the reply),
 * or on first use when the limits are in memory (the allowance then, which is what a response should say).
 */
export function callRateLimit(call: CallState): CallRateLimit | undefined {
  const gate = call.rateLimits;
  if (gate !== undefined) {
    call.rateLimits = undefined;
    call.rateLimit = gate.rateLimitDecision?.(call.operationName, call.userId);
  }
  return call.rateLimit;
}

/** Keeps the decision of an admitted call that failed with `error`, for {@link rateLimitOf}. */
export function rememberRateLimit(error: unknown, call: CallState): void {
  if (typeof error !== 'object' || error === null || error instanceof RateLimitedError) return;
  if (call.rateLimits === undefined && call.rateLimit === undefined) return;
  const decision = callRateLimit(call);
  if (decision !== undefined) decisionsByError.set(error, decision);
}

function isCallRateLimit(value: unknown): value is CallRateLimit {
  return typeof value === 'object' && value !== null && typeof (value as CallRateLimit).scope === 'string';
}

/**
 * The rate-limit decision of a protected call, from what the call left you: the operation's `ctx`, the error
 * it was refused or failed with, or a decision itself. Undefined when no rate limit applied (or the store
 * could not tell).
 */
export function rateLimitOf(source: unknown): CallRateLimit | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  if (source instanceof RateLimitedError) return source.decision;
  const remembered = decisionsByError.get(source);
  if (remembered !== undefined) return remembered;
  if (isCallRateLimit(source)) return source;
  const fromContext = (source as { rateLimit?: unknown }).rateLimit;
  return isCallRateLimit(fromContext) ? fromContext : undefined;
}
