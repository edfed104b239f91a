import type { Attributes } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import { escapeLabelValue, sanitizeName } from './text.js';

/**
 * The labels every sample of one scope carries after its own (scope name, schema URL and version, then
 * the resource's constant labels), rendered once per scope instead of once per sample.
 */
export interface ScopeLabels {
  /** The labels joined by commas, '' when there are none. */
  readonly plain: string;
  /** For `_bucket` samples: the labels before `le`, then `le="`. */
  readonly bucketHead: string;
  /** For `_bucket` samples: the closing quote of `le`, then the labels after it. */
  readonly bucketTail: string;
}

/** `key="value"` pairs of `attributes`, in their own order, joined by commas. */
export function renderAttributes(attributes: Attributes): string {
  let out = '';
  for (const key of Object.keys(attributes)) {
    out += `${out === '' ? '' : ','}${sanitizeName(key)}="${escapeLabelValue(attributes[key])}"`;
  }
  return out;
}

/** `{labels}`, or nothing when there are none. */
export const braces = (labels: string): string => (labels === '' ? '' : `{${labels}}`);

/** `own` then `shared`, comma-separated. */
export const joinLabels = (own: string, shared: string): string => (own === '' ? shared : shared === '' ? own : `${own},${shared}`);

const LE_PLACEHOLDER = '\u0000le\u0000';

/**
 * The extra labels of a scope as the OTel exporter merges them: `otel.scope.name`, `otel.scope.schema_url`
 * and `otel.scope.version` (when set, unless `withoutScopeInfo`), then the resource's constant labels,
 * which replace a scope key of the same name in place. `le` takes the position `Object.assign` gives it.
 */
export function scopeLabels(scope: InstrumentationScope, constant: Attributes | undefined, withoutScopeInfo: boolean): ScopeLabels {
  let extra: Attributes | undefined = constant;
  if (!withoutScopeInfo) {
    const info: Attributes = { 'otel.scope.name': scope.name };
    if (scope.schemaUrl) info['otel.scope.schema_url'] = scope.schemaUrl;
    if (scope.version) info['otel.scope.version'] = scope.version;
    extra = Object.assign(info, constant);
  }
  const plain = extra === undefined ? '' : renderAttributes(extra);
  const withLe = renderAttributes(Object.assign({}, extra, { le: LE_PLACEHOLDER }));
  const at = withLe.indexOf(LE_PLACEHOLDER);
  return { plain, bucketHead: withLe.slice(0, at), bucketTail: withLe.slice(at + LE_PLACEHOLDER.length) };
}

/** The resource attributes whose keys match `pattern` (the exporter's `withResourceConstantLabels`). */
export function constantLabels(attributes: Attributes, pattern: RegExp | undefined): Attributes | undefined {
  if (pattern === undefined) return undefined;
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (key.match(pattern)) out[key] = value;
  }
  return out;
}
