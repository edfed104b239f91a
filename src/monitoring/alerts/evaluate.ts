import type { AlertRule } from './rule.js';
import { compileMatch, forEachPoint, groupOf, histogramQuantile, type Matcher, type SnapshotIndex } from './series.js';
import { SampleWindow } from './window.js';

/** The aggregated value of one group of a rule at one evaluation. */
export interface GroupValue {
  readonly key: string;
  readonly labels: Readonly<Record<string, string>>;
  /** NaN when there is not enough data (e.g. one sample of a rate, an empty histogram, a zero denominator). */
  readonly value: number;
}

/** Most samples a group's window keeps, whatever the window and interval. */
const MAX_SAMPLES = 512;

interface Accumulator {
  labels: Record<string, string>;
  values: Float64Array;
  boundaries?: readonly number[];
}

/**
 * Turns one rule's series into one value per group at each evaluation, keeping the window history its
 * aggregation needs. Groups beyond `maxGroups` are dropped (counted), and groups unseen for longer than the
 * window are forgotten, so state stays bounded.
 */
export class RuleEvaluator {
  private readonly numerator: Matcher;
  private readonly denominator: Matcher;
  private readonly denominatorMetric: string;
  private readonly windows = new Map<string, SampleWindow>();
  private readonly capacity: number;
  /** Groups refused because the rule already tracks `maxGroups`. */
  droppedGroups = 0;

  constructor(
    readonly rule: AlertRule,
    private readonly maxGroups: number,
    intervalMs: number,
  ) {
    this.numerator = compileMatch(rule.match);
    this.denominator = compileMatch(rule.denominator?.match ?? {});
    this.denominatorMetric = rule.denominator?.metric ?? rule.metric;
    const windowMs = rule.windowMs ?? 0;
    this.capacity = Math.min(MAX_SAMPLES, Math.max(2, Math.ceil(windowMs / Math.max(1, intervalMs)) + 2));
  }

  /** Values of every group present in `index` at `now`. */
  evaluate(index: SnapshotIndex, now: number): GroupValue[] {
    const rule = this.rule;
    const groups = this.accumulate(index);
    const out: GroupValue[] = [];
    for (const [key, acc] of groups) {
      let value: number;
      if (rule.windowMs !== undefined) {
        const window = this.windowFor(key);
        window?.add(now, acc.values);
        const increase = window?.increase(now, rule.windowMs);
        value = increase === undefined ? Number.NaN : this.finish(increase.values, acc, increase.spanMs);
      } else {
        value = this.finish(acc.values, acc, 0);
      }
      out.push({ key, labels: acc.labels, value });
    }
    if (rule.windowMs !== undefined) this.forget(now - rule.windowMs);
    return out;
  }

  /** Groups the rule tracks windows for now. */
  get trackedGroups(): number {
    return this.windows.size;
  }

  private finish(values: Float64Array, acc: Accumulator, spanMs: number): number {
    switch (this.rule.aggregation) {
      case 'value':
        return values[0]!;
      case 'rate':
        return spanMs > 0 ? values[0]! / (spanMs / 1000) : Number.NaN;
      case 'ratio':
        return values[1]! > 0 ? values[0]! / values[1]! : Number.NaN;
      case 'quantile':
        return histogramQuantile(this.rule.quantile ?? 0.5, acc.boundaries ?? [], values);
    }
  }

  private accumulate(index: SnapshotIndex): Map<string, Accumulator> {
    const rule = this.rule;
    const groups = new Map<string, Accumulator>();
    const width = rule.aggregation === 'ratio' ? 2 : 1;
    const slot = (attributes: Parameters<typeof groupOf>[0], vectorWidth: number): Accumulator | undefined => {
      const { key, labels } = groupOf(attributes, rule.groupBy);
      let acc = groups.get(key);
      if (acc === undefined) {
        if (groups.size >= this.maxGroups) {
          this.droppedGroups++;
          return undefined;
        }
        acc = { labels, values: new Float64Array(vectorWidth) };
        groups.set(key, acc);
      }
      return acc;
    };
    if (rule.aggregation === 'quantile') {
      forEachPoint(index, rule.metric, this.numerator, (point) => {
        const h = point.histogram;
        if (h === undefined) return;
        const acc = slot(point.attributes, h.counts.length);
        if (acc === undefined) return;
        if (acc.boundaries === undefined) acc.boundaries = h.boundaries;
        else if (!sameBounds(acc.boundaries, h.boundaries)) return;
        for (let i = 0; i < h.counts.length; i++) acc.values[i] = acc.values[i]! + h.counts[i]!;
      });
      return groups;
    }
    if (rule.aggregation === 'ratio') {
      // The denominator defines the groups; a group with no numerator series has a numerator of 0.
      forEachPoint(index, this.denominatorMetric, this.denominator, (point) => {
        const acc = slot(point.attributes, width);
        if (acc) acc.values[1] = acc.values[1]! + point.value;
      });
      forEachPoint(index, rule.metric, this.numerator, (point) => {
        const { key } = groupOf(point.attributes, rule.groupBy);
        const acc = groups.get(key);
        if (acc) acc.values[0] = acc.values[0]! + point.value;
      });
      return groups;
    }
    forEachPoint(index, rule.metric, this.numerator, (point) => {
      const acc = slot(point.attributes, width);
      if (acc) acc.values[0] = acc.values[0]! + point.value;
    });
    return groups;
  }

  private windowFor(key: string): SampleWindow | undefined {
    let window = this.windows.get(key);
    if (window === undefined) {
      if (this.windows.size >= this.maxGroups) {
        this.droppedGroups++;
        return undefined;
      }
      window = new SampleWindow(this.capacity);
      this.windows.set(key, window);
    }
    return window;
  }

  private forget(before: number): void {
    for (const [key, window] of this.windows) {
      if (window.lastSeen < before) this.windows.delete(key);
    }
  }
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
