import { context, createContextKey, type Context } from '@opentelemetry/api';

/**
 * The call deadline in OTel context: an absolute time on the monotonic clock (`performance.now()` in ms), so
 * nested protected operations and outgoing requests see the time left without a wall clock. Processes never
 * exchange it as such: the propagator writes and reads relative milliseconds.
 */
const DEADLINE_KEY = createContextKey('@llmkg/production.deadline');

/**
 * Set once any context has carried a deadline: until then the pipeline does not even look one up, so a
 * process that never uses deadlines pays a field check per call and nothing more.
 */
export const deadlineUse = { seen: false };

/** `ctx` with the deadline `at` (absolute monotonic ms); an earlier deadline already in `ctx` is kept. */
export function withDeadline(ctx: Context, at: number): Context {
  const current = ctx.getValue(DEADLINE_KEY) as number | undefined;
  if (current !== undefined && current <= at) return ctx;
  deadlineUse.seen = true;
  return ctx.setValue(DEADLINE_KEY, at);
}

/** The deadline (absolute monotonic ms) carried by `ctx`, or undefined. */
export function deadlineOf(ctx: Context): number | undefined {
  return deadlineUse.seen ? (ctx.getValue(DEADLINE_KEY) as number | undefined) : undefined;
}

/**
 * Milliseconds left before the deadline of `ctx` (default: the active context), negative once passed, or
 * undefined when it carries none. Inside a protected operation, this is the call's time left: hand it to a
 * database driver or an HTTP client that does not read `ctx.signal`.
 */
export function deadlineRemainingMs(ctx: Context = context.active()): number | undefined {
  const at = deadlineOf(ctx);
  return at === undefined ? undefined : at - performance.now();
}
