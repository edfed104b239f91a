/**
 * The string rules of the Prometheus exposition, kept exactly as `@opentelemetry/exporter-prometheus`
 * 0.223 applies them (the differential test holds us to its bytes), but each done once per distinct
 * input: names and label keys are cached, values are scanned before anything is replaced.
 */
import type { AttributeValue } from '@opentelemetry/api';

/** Entries kept per name cache; a full cache is emptied (names are few, so it never fills in practice). */
const CACHE_LIMIT = 4096;

function cached(fn: (input: string) => string): (input: string) => string {
  const cache = new Map<string, string>();
  return (input) => {
    let out = cache.get(input);
    if (out === undefined) {
      out = fn(input);
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(input, out);
    }
    return out;
  };
}

const NEEDS_HELP_ESCAPE = /[\\\n]/;
const NEEDS_LABEL_ESCAPE = /[\\\n"]/;

/** Text-format escaping of `# HELP` and `# UNIT` text: backslash and line feed. */
export function escapeHelp(text: string): string {
  return NEEDS_HELP_ESCAPE.test(text) ? text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') : text;
}

/** OpenMetrics escaping of `# HELP` text: backslash, line feed and double quote. */
export function escapeOpenMetricsHelp(text: string): string {
  return NEEDS_LABEL_ESCAPE.test(text) ? escapeHelp(text).replace(/"/g, '\\"') : text;
}

/** A label value as both formats write it: non-strings as JSON, then backslash, line feed and quote escaped. */
export function escapeLabelValue(value: AttributeValue | undefined): string {
  const text = value === undefined ? '' : typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  return NEEDS_LABEL_ESCAPE.test(text) ? text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : text;
}

const VALID_NAME = /^[a-zA-Z0-9_]*$/;

function sanitizeUncached(name: string): string {
  if (VALID_NAME.test(name) && !name.includes('__')) return name;
  return name.replace(/[^a-z0-9_]/gi, '_').replace(/_{2,}/g, '_');
}

/** A label name: every character outside `[a-zA-Z0-9_]` becomes `_`, runs of `_` collapse to one. */
export const sanitizeName: (name: string) => string = cached(sanitizeUncached);

/** A metric's base name before suffixes: its OTel name escaped as HELP text would be, then sanitized. */
export const metricBaseName: (otelName: string) => string = cached((name) => sanitizeUncached(escapeHelp(name)));

/** A sample value: `+Inf`, `-Inf`, `NaN` or the number as JavaScript prints it. */
export function valueString(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return `${value}`;
}

/**
 * OpenMetrics' canonical rendering of an `le` value: Go's shortest `%g` (exponent below 1e-4 and from
 * 1e+6, at least two exponent digits) with `.0` appended when there is neither a point nor an exponent,
 * so `1` is `1.0`, `0.0005` is `0.0005`, `1e-5` is `1e-05`.
 */
export function canonicalNumber(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (value !== value) return 'NaN';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const exponential = value.toExponential();
  const at = exponential.indexOf('e');
  const exponent = Number(exponential.slice(at + 1));
  if (exponent < -4 || exponent >= 6) {
    const digits = String(Math.abs(exponent));
    return `${exponential.slice(0, at)}e${exponent < 0 ? '-' : '+'}${digits.length < 2 ? `0${digits}` : digits}`;
  }
  const fixed = String(value);
  return fixed.includes('.') ? fixed : `${fixed}.0`;
}

/** The `le` strings of a boundary list in both formats. */
export interface BucketLabels {
  /** Text format: `String(bound)`, `+Inf` for the bucket past the last bound. */
  readonly text: readonly string[];
  /** OpenMetrics: canonical numbers. */
  readonly openMetrics: readonly string[];
}

const bucketLabelCache = new WeakMap<readonly number[], BucketLabels>();

/** The `le` label values of `boundaries` (one more than the bounds: the last is `+Inf`), cached per array. */
export function bucketLabels(boundaries: readonly number[]): BucketLabels {
  let labels = bucketLabelCache.get(boundaries);
  if (labels === undefined) {
    const text: string[] = [];
    const openMetrics: string[] = [];
    for (const bound of boundaries) {
      text.push(bound === Infinity ? '+Inf' : String(bound));
      openMetrics.push(canonicalNumber(bound));
    }
    text.push('+Inf');
    openMetrics.push('+Inf');
    labels = { text, openMetrics };
    // The SDK shares one boundaries array across an instrument's points, so identity is a good key.
    bucketLabelCache.set(boundaries, labels);
  }
  return labels;
}
