/** Defensive readers for the status document: inputs typed `unknown` become plain, bounded values. */

/** `x` as a record, or an empty one. */
export function obj(x: unknown): Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : {};
}

/** `x` as an array, or an empty one. */
export function arr(x: unknown): unknown[] {
  return Array.isArray(x) ? x : [];
}

/** A finite number, else `fallback`. */
export function num(x: unknown, fallback = 0): number {
  return typeof x === 'number' && Number.isFinite(x) ? x : fallback;
}

/** A finite number, else null. */
export function numOrNull(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

/** A non-negative integer count, else 0. */
export function int(x: unknown): number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0 ? Math.floor(x) : 0;
}

/** True only for `true`. */
export function bool(x: unknown): boolean {
  return x === true;
}

/** A string (numbers and booleans as text), else `fallback`. */
export function str(x: unknown, fallback = ''): string {
  if (typeof x === 'string') return x;
  if (typeof x === 'number' || typeof x === 'boolean') return String(x);
  return fallback;
}

/** A string, else null. */
export function strOrNull(x: unknown): string | null {
  return typeof x === 'string' ? x : null;
}

/** At most `max` characters, with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The primitive fields of a record (strings clipped), for flat views such as shutdown progress. */
export function primitives(x: unknown): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of Object.entries(obj(x)).slice(0, 100)) {
    if (value === null || typeof value === 'number' || typeof value === 'boolean') out[key] = value;
    else if (typeof value === 'string') out[key] = clip(value, 2000);
  }
  return out;
}
