import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CallbackNotifier, ProductionMonitor, type AlertNotification } from '../../src/monitoring/index.js';
import { installEmbedded } from './helpers.js';

let env: ReturnType<typeof installEmbedded>;
beforeAll(() => {
  env = installEmbedded();
});
afterAll(async () => {
  await env.telemetry.shutdown();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('alerts evaluated on the reader interval (fake timers)', () => {
  it('goes pending, firing and resolved from the reader interval, with logs, spans, the gauge and a notifier', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const received: AlertNotification[] = [];
    const monitor = new ProductionMonitor(
      { defaultAlertRules: false, runtimeMetrics: false, alertEvaluationIntervalMs: 1000 },
      {
        notifiers: [new CallbackNotifier((alerts) => void received.push(...alerts))],
        alertRules: [
          {
            name: 'QueueDeep',
            metric: 'test.queue.depth',
            comparison: '>',
            threshold: 10,
            forMs: 3000,
            severity: 'warning',
            annotations: { summary: 'queue at {{ $value }}' },
          },
        ],
      },
    );
    try {
      monitor.setGauge('test.queue.depth', 50);
      await vi.advanceTimersByTimeAsync(1000);
      expect(monitor.getActiveAlerts()).toMatchObject([
        { name: 'QueueDeep', state: 'pending', value: 50, annotations: { summary: 'queue at 50' } },
      ]);
      await vi.advanceTimersByTimeAsync(3000);
      expect(monitor.getActiveAlerts()[0]!.state).toBe('firing');
      await monitor.notifiersIdle();
      expect(received).toMatchObject([{ status: 'firing', labels: { alertname: 'QueueDeep', severity: 'warning' } }]);

      const text = await monitor.exportPrometheusMetrics();
      expect(text).toMatch(
        /production_alerts\{alertname="QueueDeep",severity="warning",alertstate="firing",otel_scope_name="@llmkg\/production"[^}]*\} 1/,
      );

      monitor.setGauge('test.queue.depth', 2);
      await vi.advanceTimersByTimeAsync(1000);
      expect(monitor.getActiveAlerts()).toEqual([]);
      await monitor.notifiersIdle();
      expect(received.at(-1)).toMatchObject({ status: 'resolved', endsAt: new Date(Date.now()).toISOString() });

      const alertSpans = env.spans.getFinishedSpans().filter((s) => s.name === 'alert');
      expect(alertSpans.flatMap((s) => s.events.map((e) => e.name))).toEqual(['alert.pending', 'alert.firing', 'alert.resolved']);
      expect(alertSpans[1]!.attributes).toMatchObject({ alertname: 'QueueDeep', severity: 'warning', alertstate: 'firing' });
      expect(alertSpans[1]!.parentSpanContext).toBeUndefined();
      const logs = monitor.getRecentLogs({ component: 'monitoring' }).map((e) => e.message);
      expect(logs).toEqual([
        'Alert QueueDeep firing -> resolved: queue at 50',
        'Alert QueueDeep pending -> firing: queue at 50',
        'Alert QueueDeep inactive -> pending: queue at 50',
      ]);
      expect(monitor.healthCheck().alerts).toMatchObject({ evaluations: 5, evaluationErrors: 0 });
    } finally {
      await monitor.shutdown();
    }
  });

  it('adds and removes rules at run time and evaluates on demand', async () => {
    const monitor = new ProductionMonitor({ defaultAlertRules: false, runtimeMetrics: false });
    try {
      monitor.incrementCounter('test.jobs', { kind: 'a' }, 5);
      monitor.addAlertRule({ name: 'Jobs', metric: 'test.jobs', match: { kind: 'a' }, comparison: '>=', threshold: 5 });
      await monitor.evaluateAlerts();
      expect(monitor.getActiveAlerts().map((a) => a.state)).toEqual(['firing']);
      expect(monitor.removeAlertRule('Jobs')).toBe(true);
      expect(monitor.getActiveAlerts()).toEqual([]);
      expect(monitor.getAlertRules()).toEqual([]);
    } finally {
      await monitor.shutdown();
    }
  });

  it('ships the default rules on the conventions metric names', async () => {
    const monitor = new ProductionMonitor({ runtimeMetrics: false });
    try {
      expect(monitor.getAlertRules().map((r) => `${r.name}:${r.metric}`)).toEqual([
        'ProductionHighErrorRate:production.operation.duration',
        'ProductionCircuitOpen:production.circuit_breaker.state',
        'ProductionHighLatencyP99:production.operation.duration',
        'ProductionEventLoopDelayHigh:nodejs.eventloop.delay.p99',
        'ProductionMemoryHigh:v8js.memory.heap.used',
        'ProductionRateLimitRejectionsSurging:production.rate_limit.decisions',
      ]);
    } finally {
      await monitor.shutdown();
    }
  });
});
