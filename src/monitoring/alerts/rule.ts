import { z } from 'zod';
import { InvalidConfigError } from '../../errors.js';
import { parseSection } from '../../internal/validation.js';

/** How a rule turns series into one number per alert instance. */
export type AlertAggregation = 'value' | 'rate' | 'ratio' | 'quantile';

/** Comparison of the aggregated value against the threshold. */
export type AlertComparison = '>' | '>=' | '<' | '<=' | '==' | '!=';

/** Severity label of an alert. */
export type AlertSeverity = 'critical' | 'warning' | 'info';

/** Attribute values a rule can match on. */
export type MatchValue = string | number | boolean;

const attrName = z.string().min(1).max(255);
const matchSchema = z.record(attrName, z.union([z.string(), z.number(), z.boolean()]));
const labelSchema = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'label names are [a-zA-Z_][a-zA-Z0-9_]*'), z.string());

/** Schema of an alert rule as users write it. */
export const alertRuleSchema = z
  .strictObject({
    /** The `alertname` label; unique among the monitor's rules. */
    name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'alert names are [a-zA-Z_][a-zA-Z0-9_]*'),
    /** OTel metric name, e.g. `production.operation.duration`. */
    metric: z.string().min(1).max(255),
    /** Attributes a series must carry (exact values) to count. */
    match: matchSchema.default({}),
    /**
     * `value`: the current value (histograms: their count), summed per group. `rate`: per-second increase
     * over `windowMs`. `ratio`: this series over `denominator` (of their increases when `windowMs` is set).
     * `quantile`: `quantile` of a histogram (of the observations in `windowMs` when set).
     */
    aggregation: z.enum(['value', 'rate', 'ratio', 'quantile']).default('value'),
    windowMs: z.number().int().min(1).optional(),
    quantile: z.number().min(0).max(1).optional(),
    /** Denominator of a `ratio`: another metric (default: the same one) and its own match. */
    denominator: z.strictObject({ metric: z.string().min(1).max(255).optional(), match: matchSchema.default({}) }).optional(),
    /** Attributes that split the rule into one alert instance per distinct value set (Prometheus' `by`). */
    groupBy: z.array(attrName).max(10).default([]),
    comparison: z.enum(['>', '>=', '<', '<=', '==', '!=']).default('>'),
    threshold: z.number().refine(Number.isFinite, 'threshold must be finite'),
    /** How long the condition must hold before pending turns firing (0: fires at once). */
    forMs: z.number().int().min(0).default(0),
    /** How long a firing alert keeps firing after the condition stops holding. */
    keepFiringForMs: z.number().int().min(0).default(0),
    severity: z.enum(['critical', 'warning', 'info']).default('warning'),
    labels: labelSchema.default({}),
    /** Annotations; `{{ $value }}` and `{{ $labels.<name> }}` are filled in as Prometheus does. */
    annotations: z.record(z.string(), z.string()).default({}),
  })
  .superRefine((rule, ctx) => {
    if (rule.aggregation === 'rate' && rule.windowMs === undefined) {
      ctx.addIssue({ code: 'custom', path: ['windowMs'], message: 'a rate needs windowMs' });
    }
    if (rule.aggregation === 'quantile' && rule.quantile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['quantile'], message: 'a quantile rule needs quantile (0..1)' });
    }
    if (rule.aggregation === 'ratio' && rule.denominator === undefined) {
      ctx.addIssue({ code: 'custom', path: ['denominator'], message: 'a ratio needs a denominator' });
    }
    for (const reserved of ['alertname', 'severity']) {
      if (reserved in rule.labels)
        ctx.addIssue({ code: 'custom', path: ['labels', reserved], message: `${reserved} is set by the rule itself` });
    }
  });

/** An alert rule as users write it (defaults omitted). */
export type AlertRuleInput = z.input<typeof alertRuleSchema>;

/** A validated alert rule with every default filled in. */
export type AlertRule = z.output<typeof alertRuleSchema>;

/** Validates a rule; a bad field raises INVALID_CONFIG naming `alertRules.<name>.<field>`. */
export function parseAlertRule(input: AlertRuleInput, maxWindowMs?: number): AlertRule {
  const label = typeof (input as { name?: unknown })?.name === 'string' ? (input as { name: string }).name : '(unnamed)';
  const rule = parseSection(alertRuleSchema, input, `alertRules.${label}`);
  if (maxWindowMs !== undefined && (rule.windowMs ?? 0) > maxWindowMs) {
    throw new InvalidConfigError(`alertRules.${label}.windowMs`, `exceeds monitoring.metricsRetentionMs (${maxWindowMs} ms)`);
  }
  return rule;
}

/** True when `value compare threshold` holds; NaN (no data) never holds. */
export function compare(value: number, comparison: AlertComparison, threshold: number): boolean {
  if (Number.isNaN(value)) return false;
  switch (comparison) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}
