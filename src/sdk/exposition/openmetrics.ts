import { diag, type Attributes } from '@opentelemetry/api';
import { DataPointType, type DataPoint, type Histogram, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { bucketIndex, type Exemplar } from '../../telemetry/exemplars.js';
import { braces, constantLabels, joinLabels, renderAttributes, scopeLabels, type ScopeLabels } from './labels.js';
import { bucketLabels, escapeLabelValue, escapeOpenMetricsHelp, metricBaseName, valueString } from './text.js';

/** Where the OpenMetrics writer finds the exemplars of a series. */
export interface ExemplarLookup {
  /** The exemplars of the series with these attributes, if it has any. */
  find(attributes: Attributes): { list(): Exemplar[] } | undefined;
}

/** One OTel metric inside an OpenMetrics family. */
interface Member {
  readonly metric: MetricData;
  readonly labels: ScopeLabels;
}

/** A MetricFamily: OpenMetrics lists each name once, so same-named metrics of different scopes share it. */
export interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  /** Name of the value samples: the family name, plus `_total` for counters. */
  readonly sampleName: string;
  readonly members: Member[];
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const UNIT = /^[a-zA-Z0-9_:]+$/;

/** The prometheus name of an OTel metric, or undefined (with the exporter's diag error) when it sanitizes to nothing. */
export function prometheusName(otelName: string): string | undefined {
  const name = metricBaseName(otelName);
  if (name === '' || name === '_') {
    diag.error(`Normalization for metric "${otelName}" resulted in ${name === '' ? 'empty name' : 'an invalid name: "_"'}`);
    return undefined;
  }
  return name[0]! >= '0' && name[0]! <= '9' ? `_${name}` : name;
}

function familyOf(metric: MetricData, name: string): Pick<Family, 'name' | 'type' | 'sampleName'> | undefined {
  switch (metric.dataPointType) {
    case DataPointType.SUM:
      if (metric.isMonotonic) {
        const base = name.endsWith('_total') && name.length > 6 ? name.slice(0, -6) : name;
        return { name: base, type: 'counter', sampleName: `${base}_total` };
      }
      return { name, type: 'gauge', sampleName: name };
    case DataPointType.GAUGE:
      return { name, type: 'gauge', sampleName: name };
    case DataPointType.HISTOGRAM:
      return { name, type: 'histogram', sampleName: name };
    default:
      // Exponential histograms have no OpenMetrics 1.0 form; the text format lists them untyped and empty.
      return undefined;
  }
}

/**
 * Groups the collected metrics into OpenMetrics families, in order of first appearance. A metric whose
 * name collides with a family of another type is left out (with a diag warning): one name, one type.
 */
export function openMetricsFamilies(
  resourceMetrics: ResourceMetrics,
  options: { withResourceConstantLabels?: RegExp | undefined; withoutScopeInfo: boolean },
): Family[] {
  const constant = constantLabels(resourceMetrics.resource.attributes, options.withResourceConstantLabels);
  const families = new Map<string, Family>();
  for (const scopeMetrics of resourceMetrics.scopeMetrics) {
    let labels: ScopeLabels | undefined;
    for (const metric of scopeMetrics.metrics) {
      const name = prometheusName(metric.descriptor.name);
      const shape = name === undefined ? undefined : familyOf(metric, name);
      if (shape === undefined) continue;
      labels ??= scopeLabels(scopeMetrics.scope, constant, options.withoutScopeInfo);
      const family = families.get(shape.name);
      if (family === undefined) families.set(shape.name, { ...shape, members: [{ metric, labels }] });
      else if (family.type === shape.type) family.members.push({ metric, labels });
      else diag.warn(`OpenMetrics: metric "${metric.descriptor.name}" left out: family "${shape.name}" is already a ${family.type}`);
    }
  }
  return [...families.values()];
}

/** `# HELP`, `# TYPE` and, when the unit is a suffix of the name as OpenMetrics requires, `# UNIT`. */
export function familyHeader(family: Family): string {
  const { description, unit } = family.members[0]!.metric.descriptor;
  const unitLine = unit && UNIT.test(unit) && family.name.endsWith(`_${unit}`) ? `# UNIT ${family.name} ${unit}\n` : '';
  return `# HELP ${family.name} ${escapeOpenMetricsHelp(description || 'description missing')}\n# TYPE ${family.name} ${family.type}\n${unitLine}`;
}

/** The target_info family (`info` type) for the resource's attributes. */
export function openMetricsTargetInfo(attributes: Attributes): string {
  return `# HELP target Target metadata\n# TYPE target info\ntarget_info${braces(renderAttributes(attributes))} 1\n`;
}

/** The samples of one counter or gauge point. */
export function openMetricsValue(family: Family, labels: ScopeLabels, point: DataPoint<number>): string {
  return `${family.sampleName}${braces(joinLabels(renderAttributes(point.attributes), labels.plain))} ${valueString(point.value)}\n`;
}

function exemplarSuffix(exemplar: Exemplar | undefined): string {
  if (exemplar === undefined || !TRACE_ID.test(exemplar.traceId) || !SPAN_ID.test(exemplar.spanId)) return '';
  return ` # {trace_id="${escapeLabelValue(exemplar.traceId)}",span_id="${escapeLabelValue(exemplar.spanId)}"} ${valueString(exemplar.value)} ${exemplar.timeMs / 1000}`;
}

/** The newest exemplar per bucket of `boundaries` (index `boundaries.length` is +Inf). */
function exemplarsByBucket(exemplars: readonly Exemplar[], boundaries: readonly number[]): (Exemplar | undefined)[] {
  const out: (Exemplar | undefined)[] = [];
  // Oldest first, so a newer exemplar of the same bucket replaces an older one.
  for (const exemplar of exemplars) out[bucketIndex(boundaries, exemplar.value)] = exemplar;
  return out;
}

/**
 * The samples of one histogram point: buckets in increasing `le` (canonical numbers) up to and
 * including +Inf, each with the newest exemplar that fell in it, then `_count` and `_sum`.
 */
export function openMetricsHistogram(
  family: Family,
  labels: ScopeLabels,
  point: DataPoint<Histogram>,
  lookup: ExemplarLookup | undefined,
): string {
  const own = renderAttributes(point.attributes);
  const shared = braces(joinLabels(own, labels.plain));
  const { boundaries, counts } = point.value.buckets;
  const les = bucketLabels(boundaries).openMetrics;
  const series = lookup?.find(point.attributes);
  const exemplars = series === undefined ? undefined : exemplarsByBucket(series.list(), boundaries);
  const prefix = `${family.name}_bucket{${own === '' ? '' : `${own},`}${labels.bucketHead}`;
  const close = `${labels.bucketTail}} `;
  let out = '';
  let cumulative = 0;
  let infinite = false;
  const last = Math.min(counts.length, boundaries.length + 1);
  for (let i = 0; i < last && !infinite; i++) {
    cumulative += counts[i]!;
    const le = les[i]!;
    infinite = le === '+Inf';
    out += `${prefix}${le}${close}${valueString(cumulative)}${exemplars === undefined ? '' : exemplarSuffix(exemplars[i])}\n`;
  }
  const { count, sum } = point.value;
  if (!infinite) out += `${prefix}+Inf${close}${valueString(count)}\n`;
  if (sum != null) out += `${family.name}_count${shared} ${valueString(count)}\n${family.name}_sum${shared} ${valueString(sum)}\n`;
  return out;
}
