import { createContextKey, type Attributes, type Context } from '@opentelemetry/api';

/** The semantic-convention attribute of a resent HTTP request: how many times it was sent before this one. */
export const RESEND_COUNT_ATTRIBUTE = 'http.request.resend_count';

const RESEND_COUNT = createContextKey('@llmkg/production.http.resend_count');

/** `ctx` with the resend count of the request about to be sent (the protected client sets it per attempt). */
export function withResendCount(ctx: Context, count: number): Context {
  return ctx.setValue(RESEND_COUNT, count);
}

/** The resend count set by {@link withResendCount} in `ctx`, or undefined (a first attempt, or not ours). */
export function resendCountOf(ctx: Context): number | undefined {
  const value = ctx.getValue(RESEND_COUNT);
  return typeof value === 'number' && value > 0 ? value : undefined;
}

/** Span attributes of a request sent in `ctx`: `http.request.resend_count` on a resend, nothing otherwise. */
export function resendAttributes(ctx: Context): Attributes {
  const count = resendCountOf(ctx);
  return count === undefined ? {} : { [RESEND_COUNT_ATTRIBUTE]: count };
}
