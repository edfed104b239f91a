import { describe, expect, it } from 'vitest';
import { type AlertNotification, type AlertRuleInput } from '../../src/monitoring/index.js';
import { AlertEngine } from '../../src/monitoring/alerts/engine.js';
import { histogramQuantile } from '../../src/monitoring/alerts/series.js';
import { type AlertTransition } from '../../src/monitoring/alerts/types.js';
import { counter, gauge, histogram, snapshot } from './helpers.js';

const OP = 'production.operation.name';

function engine(rules: AlertRuleInput[], overrides: Partial<ConstructorParameters<typeof AlertEngine>[0]> = {}) {
  const transitions: AlertTransition[] = [];
  const notified: AlertNotification[][] = [];
  const e = new AlertEngine({
    maxInstancesPerRule: 100,
    resendIntervalMs: 60_000,
    evaluationIntervalMs: 10_000,
    maxWindowMs: 600_000,
    externalUrl: 'http://example.test:9464',
    onTransition: (t) => transitions.push(t),
    onNotify: (a) => notified.push(a),
    ...overrides,
  });
  for (const rule of rules) e.addRule(rule, 0);
  const path = () => transitions.map((t) => `${t.alert.labels[OP.replace(/\./g, '_')] ?? t.alert.name}:${t.from}->${t.to}`);
  return { e, transitions, notified, path };
}

const breaker = (open: Record<string, number>) =>
  snapshot(0, [
    gauge(
      'production.circuit_breaker.state',
      Object.entries(open).map(([op, v]) => [{ [OP]: op, state: 'open' }, v] as [Record<string, string>, number]),
    ),
  ]);

describe('alert states (Prometheus semantics)', () => {
  const rule: AlertRuleInput = {
    name: 'BreakerOpen',
    metric: 'production.circuit_breaker.state',
    match: { state: 'open' },
    groupBy: [OP],
    comparison: '>=',
    threshold: 1,
    forMs: 30_000,
    severity: 'critical',
    annotations: { summary: '{{ $labels.production_operation_name }} open ({{ $value }})' },
  };

  it('goes inactive -> pending -> firing -> resolved, per group', () => {
    const { e, path, notified } = engine([rule]);
    e.evaluate(breaker({ a: 1, b: 0 }), 0);
    expect(path()).toEqual(['a:inactive->pending']);
    expect(e.activeAlerts()).toMatchObject([
      {
        name: 'BreakerOpen',
        state: 'pending',
        labels: { alertname: 'BreakerOpen', severity: 'critical', production_operation_name: 'a' },
        annotations: { summary: 'a open (1)' },
      },
    ]);
    e.evaluate(breaker({ a: 1, b: 0 }), 20_000);
    expect(e.activeAlerts()[0]!.state).toBe('pending');
    expect(notified).toHaveLength(0);
    e.evaluate(breaker({ a: 1, b: 0 }), 30_000);
    expect(path()).toEqual(['a:inactive->pending', 'a:pending->firing']);
    expect(notified).toHaveLength(1);
    expect(notified[0]![0]).toMatchObject({
      status: 'firing',
      startsAt: new Date(30_000).toISOString(),
      endsAt: new Date(30_000 + 240_000).toISOString(),
      generatorURL: 'http://example.test:9464/status#alert-BreakerOpen',
    });
    e.evaluate(breaker({ a: 0, b: 0 }), 40_000);
    expect(path().at(-1)).toBe('a:firing->resolved');
    expect(e.activeAlerts()).toEqual([]);
    expect(notified.at(-1)![0]).toMatchObject({ status: 'resolved', endsAt: new Date(40_000).toISOString() });
  });

  it('fires at once when forMs is 0, and drops a pending alert silently when the condition flaps', () => {
    const { e, path, notified } = engine([
      { ...rule, forMs: 0, name: 'Now' },
      { ...rule, name: 'Later' },
    ]);
    e.evaluate(breaker({ a: 1 }), 0);
    expect(
      e
        .activeAlerts()
        .map((a) => `${a.name}:${a.state}`)
        .sort(),
    ).toEqual(['Later:pending', 'Now:firing']);
    e.evaluate(breaker({ a: 0 }), 10_000);
    e.evaluate(breaker({ a: 1 }), 20_000);
    e.evaluate(breaker({ a: 1 }), 40_000);
    // Later was reset by the flap: pending again from 20 s, so still pending at 40 s (< 30 s held).
    expect(e.activeAlerts().find((a) => a.name === 'Later')).toMatchObject({ state: 'pending', activeAt: 20_000 });
    e.evaluate(breaker({ a: 1 }), 50_000);
    expect(e.activeAlerts().find((a) => a.name === 'Later')!.state).toBe('firing');
    expect(path().filter((p) => p.includes('pending->inactive'))).toHaveLength(1);
    // Only firing and resolved alerts are ever sent.
    expect(notified.flat().every((n) => n.status === 'firing' || n.status === 'resolved')).toBe(true);
  });

  it('keeps firing for keepFiringForMs through short dips', () => {
    const { e, path } = engine([{ ...rule, forMs: 0, keepFiringForMs: 25_000 }]);
    e.evaluate(breaker({ a: 1 }), 0);
    e.evaluate(breaker({ a: 0 }), 10_000);
    e.evaluate(breaker({ a: 0 }), 20_000);
    expect(e.activeAlerts()[0]!.state).toBe('firing');
    e.evaluate(breaker({ a: 1 }), 30_000);
    e.evaluate(breaker({ a: 0 }), 40_000);
    e.evaluate(breaker({ a: 0 }), 60_000);
    expect(e.activeAlerts()).toHaveLength(1);
    e.evaluate(breaker({ a: 0 }), 70_000);
    expect(e.activeAlerts()).toHaveLength(0);
    expect(path()).toEqual(['a:inactive->firing', 'a:firing->resolved']);
  });

  it('re-sends firing alerts every resend interval', () => {
    const { e, notified } = engine([{ ...rule, forMs: 0 }], { resendIntervalMs: 30_000 });
    for (let t = 0; t <= 90_000; t += 10_000) e.evaluate(breaker({ a: 1 }), t);
    expect(notified.map((batch) => batch[0]!.endsAt)).toEqual([0, 30_000, 60_000, 90_000].map((t) => new Date(t + 120_000).toISOString()));
  });

  it('resolves the firing alerts of a removed rule', () => {
    const { e, notified } = engine([{ ...rule, forMs: 0 }]);
    e.evaluate(breaker({ a: 1 }), 0);
    expect(e.removeRule('BreakerOpen', 5000)).toBe(true);
    expect(e.removeRule('BreakerOpen', 5000)).toBe(false);
    expect(notified.at(-1)![0]).toMatchObject({ status: 'resolved', endsAt: new Date(5000).toISOString() });
    expect(e.activeAlerts()).toEqual([]);
  });

  it('caps alert instances per rule and counts the rest', () => {
    const { e } = engine([{ ...rule, forMs: 0 }], { maxInstancesPerRule: 3 });
    e.evaluate(breaker(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`op${i}`, 1]))), 0);
    expect(e.activeAlerts()).toHaveLength(3);
    expect(e.stats().droppedGroups).toBe(7);
  });
});

describe('aggregations', () => {
  it('rate: per-second increase over the window, across a counter reset', () => {
    const { e } = engine([
      {
        name: 'Rejections',
        metric: 'production.rate_limit.decisions',
        match: { decision: 'rejected' },
        aggregation: 'rate',
        windowMs: 60_000,
        comparison: '>',
        threshold: 1,
      },
    ]);
    const at = (t: number, v: number) =>
      e.evaluate(
        snapshot(t, [
          counter('production.rate_limit.decisions', [
            [{ decision: 'rejected' }, v],
            [{ decision: 'allowed' }, 1e6],
          ]),
        ]),
        t,
      );
    at(0, 0);
    expect(e.activeAlerts()).toHaveLength(0); // one sample: no rate yet
    at(30_000, 15); // 0.5/s
    expect(e.activeAlerts()).toHaveLength(0);
    at(60_000, 90); // 90 over 60 s = 1.5/s
    expect(e.activeAlerts()[0]!.value).toBeCloseTo(1.5);
    at(90_000, 30); // reset: 90 -> 30 counts as +30; window [30 s, 90 s]: 15 -> 90 (+75) -> 30 (+30) = 105 / 60 s
    expect(e.activeAlerts()[0]!.value).toBeCloseTo(1.75);
  });

  it('ratio: error rate per operation over a window', () => {
    const { e } = engine([
      {
        name: 'Errors',
        metric: 'production.operation.duration',
        match: { 'production.outcome': 'error' },
        aggregation: 'ratio',
        denominator: { match: {} },
        windowMs: 60_000,
        groupBy: [OP],
        comparison: '>',
        threshold: 0.05,
      },
    ]);
    const at = (t: number, okA: number, errA: number, okB: number) =>
      e.evaluate(
        snapshot(t, [
          histogram(
            'production.operation.duration',
            [1],
            [
              [{ [OP]: 'a', 'production.outcome': 'success' }, [okA, 0]],
              [{ [OP]: 'a', 'production.outcome': 'error' }, [errA, 0]],
              [{ [OP]: 'b', 'production.outcome': 'success' }, [okB, 0]],
            ],
          ),
        ]),
        t,
      );
    at(0, 1000, 500, 10);
    at(30_000, 1100, 500, 20); // a: 0 errors of 100 new calls; the cumulative 1/3 does not count
    expect(e.activeAlerts()).toEqual([]);
    at(60_000, 1180, 520, 30); // a: 20 errors of 200 over the window = 0.1
    expect(e.activeAlerts()).toMatchObject([{ labels: { production_operation_name: 'a' } }]);
    expect(e.activeAlerts()[0]!.value).toBeCloseTo(0.1);
  });

  it('ratio without a window compares current values of two metrics', () => {
    const { e } = engine([
      {
        name: 'Heap',
        metric: 'v8js.memory.heap.used',
        aggregation: 'ratio',
        denominator: { metric: 'v8js.memory.heap.limit', match: {} },
        comparison: '>',
        threshold: 0.9,
      },
    ]);
    e.evaluate(snapshot(0, [gauge('v8js.memory.heap.used', [[{}, 95]]), gauge('v8js.memory.heap.limit', [[{}, 100]])]), 0);
    expect(e.activeAlerts()[0]!.value).toBeCloseTo(0.95);
  });

  it('quantile: p99 from bucket increases over the window', () => {
    const bounds = [0.1, 0.5, 1, 2];
    const { e } = engine([
      {
        name: 'Slow',
        metric: 'production.operation.duration',
        aggregation: 'quantile',
        quantile: 0.99,
        windowMs: 60_000,
        groupBy: [OP],
        comparison: '>',
        threshold: 1,
      },
    ]);
    const at = (t: number, counts: number[]) =>
      e.evaluate(
        snapshot(t, [histogram('production.operation.duration', bounds, [[{ [OP]: 'a', 'production.outcome': 'success' }, counts]])]),
        t,
      );
    at(0, [1000, 0, 0, 0, 0]);
    at(30_000, [1100, 0, 0, 0, 0]);
    expect(e.activeAlerts()).toEqual([]);
    at(60_000, [1150, 0, 0, 50, 0]); // of 200 new: 150 <= 0.1 s, 50 in (1, 2]: p99 = 1 + (198 - 150) / 50 = 1.96
    expect(e.activeAlerts()[0]!.value).toBeCloseTo(1.96);
  });

  it('histogramQuantile follows histogram_quantile', () => {
    expect(histogramQuantile(0.5, [1, 2, 4], [10, 10, 0, 0])).toBeCloseTo(1);
    expect(histogramQuantile(0.75, [1, 2, 4], [10, 10, 0, 0])).toBeCloseTo(1.5);
    expect(histogramQuantile(0.99, [1, 2], [0, 0, 5])).toBe(2); // +Inf bucket: highest finite bound
    expect(histogramQuantile(0.5, [1], [0, 0])).toBeNaN();
  });

  it('value: sums the matching series of a group and compares', () => {
    const { e } = engine([{ name: 'Lag', metric: 'nodejs.eventloop.delay.p99', comparison: '>', threshold: 0.2 }]);
    e.evaluate(snapshot(0, [gauge('nodejs.eventloop.delay.p99', [[{}, 0.1]])]), 0);
    expect(e.activeAlerts()).toEqual([]);
    e.evaluate(snapshot(10, [gauge('nodejs.eventloop.delay.p99', [[{}, 0.3]])]), 10);
    expect(e.activeAlerts()[0]!.value).toBeCloseTo(0.3);
  });
});

describe('rule validation', () => {
  it('names the bad field', () => {
    const { e } = engine([]);
    expect(() => e.addRule({ name: 'R', metric: 'm', aggregation: 'rate', threshold: 1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', path: 'alertRules.R.windowMs' }),
    );
    expect(() => e.addRule({ name: 'R', metric: 'm', aggregation: 'quantile', threshold: 1 })).toThrow(
      expect.objectContaining({ path: 'alertRules.R.quantile' }),
    );
    expect(() => e.addRule({ name: 'bad name', metric: 'm', threshold: 1 })).toThrow(
      expect.objectContaining({ path: 'alertRules.bad name.name' }),
    );
    expect(() => e.addRule({ name: 'R', metric: 'm', threshold: 1, labels: { severity: 'x' } })).toThrow(
      expect.objectContaining({ path: 'alertRules.R.labels.severity' }),
    );
    expect(() => e.addRule({ name: 'R', metric: 'm', aggregation: 'rate', windowMs: 3_600_000, threshold: 1 })).toThrow(
      expect.objectContaining({ path: 'alertRules.R.windowMs' }),
    );
  });
});
