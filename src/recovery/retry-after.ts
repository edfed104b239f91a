/** Longest `Retry-After` honoured as such; past it the value is taken as "do not retry soon" (a day, in ms). */
const MAX_RETRY_AFTER_MS = 86_400_000;
const DELTA_SECONDS = /^\d{1,9}$/;

type HeaderBag = { get(name: string): unknown } | Record<string, unknown>;

function header(headers: unknown, name: string): unknown {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const bag = headers as HeaderBag;
  // A fetch `Headers` (or anything with `get`), else a plain object (Node's, axios's) in either case.
  if (typeof bag.get === 'function') return (bag as { get(name: string): unknown }).get(name);
  const record = bag as Record<string, unknown>;
  return record[name] ?? record['Retry-After'];
}

/**
 * Milliseconds an HTTP `Retry-After` value asks for: delta-seconds, or an HTTP date (relative to `now`, epoch
 * ms). Undefined when the value is neither; a date in the past gives 0.
 */
export function parseRetryAfter(value: unknown, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) && value.length === 1 ? (value[0] as unknown) : value;
  if (typeof raw !== 'string' || raw.length > 64) return undefined;
  const text = raw.trim();
  if (DELTA_SECONDS.test(text)) return Math.min(MAX_RETRY_AFTER_MS, Number(text) * 1000);
  const date = Date.parse(text);
  if (!Number.isFinite(date) || !/[a-z]/i.test(text)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, date - now));
}

/**
 * The default `retry.retryAfterMs` hook: how long a failed call's error asks the caller to wait. Reads, in
 * order, a finite non-negative `retryAfterMs` field, then a `Retry-After` header of `error.response.headers`
 * (fetch `Response`, axios, got) or of `error.headers`. Undefined when the error says nothing.
 */
export function defaultRetryAfterMs(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { retryAfterMs?: unknown; response?: { headers?: unknown } | null; headers?: unknown };
  const field = e.retryAfterMs;
  if (typeof field === 'number' && Number.isFinite(field) && field >= 0) return Math.min(MAX_RETRY_AFTER_MS, field);
  const response = typeof e.response === 'object' && e.response !== null ? e.response : undefined;
  const value = header(response?.headers, 'retry-after') ?? header(e.headers, 'retry-after');
  return value === undefined || value === null ? undefined : parseRetryAfter(value);
}
