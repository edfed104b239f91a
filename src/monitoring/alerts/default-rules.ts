import { ATTR, METRIC } from '../../telemetry/names.js';
import type { AlertRuleInput } from './rule.js';

/** Runtime metric names (OTel semantic conventions) the monitor's stats sampler reports. */
export const RUNTIME_METRIC = {
  cpuUtilization: 'process.cpu.utilization',
  memoryUsage: 'process.memory.usage',
  uptime: 'process.uptime',
  heapUsed: 'v8js.memory.heap.used',
  heapLimit: 'v8js.memory.heap.limit',
  gcDuration: 'v8js.gc.duration',
  eventLoopDelayP50: 'nodejs.eventloop.delay.p50',
  eventLoopDelayP99: 'nodejs.eventloop.delay.p99',
  eventLoopDelayMax: 'nodejs.eventloop.delay.max',
  eventLoopUtilization: 'nodejs.eventloop.utilization',
} as const;

const byOperation = [ATTR.operationName];

/**
 * The rules shipped on by default (`monitoring.defaultAlertRules`). Thresholds follow common SRE
 * starting points; replace one by adding a rule with the same name.
 */
export const DEFAULT_ALERT_RULES: readonly AlertRuleInput[] = [
  {
    name: 'ProductionHighErrorRate',
    metric: METRIC.operationDuration,
    match: { [ATTR.outcome]: 'error' },
    aggregation: 'ratio',
    denominator: { match: {} },
    windowMs: 300_000,
    groupBy: byOperation,
    comparison: '>',
    threshold: 0.05,
    forMs: 120_000,
    severity: 'critical',
    annotations: {
      summary: 'High error rate on {{ $labels.production_operation_name }}',
      description: '{{ $value }} of calls to {{ $labels.production_operation_name }} failed over 5 minutes (threshold 5%).',
    },
  },
  {
    name: 'ProductionCircuitOpen',
    metric: METRIC.circuitBreakerState,
    match: { [ATTR.state]: 'open' },
    aggregation: 'value',
    groupBy: byOperation,
    comparison: '>=',
    threshold: 1,
    forMs: 30_000,
    severity: 'critical',
    annotations: {
      summary: 'Circuit breaker open on {{ $labels.production_operation_name }}',
      description: 'Calls to {{ $labels.production_operation_name }} are being refused while its breaker stays open.',
    },
  },
  {
    name: 'ProductionHighLatencyP99',
    metric: METRIC.operationDuration,
    aggregation: 'quantile',
    quantile: 0.99,
    windowMs: 300_000,
    groupBy: byOperation,
    comparison: '>',
    threshold: 1,
    forMs: 300_000,
    severity: 'warning',
    annotations: {
      summary: 'p99 latency high on {{ $labels.production_operation_name }}',
      description: 'p99 of {{ $labels.production_operation_name }} is {{ $value }} s over 5 minutes (threshold 1 s).',
    },
  },
  {
    name: 'ProductionEventLoopDelayHigh',
    metric: RUNTIME_METRIC.eventLoopDelayP99,
    aggregation: 'value',
    comparison: '>',
    threshold: 0.2,
    forMs: 60_000,
    severity: 'warning',
    annotations: {
      summary: 'Event-loop delay high',
      description: 'Event-loop delay p99 is {{ $value }} s (threshold 0.2 s).',
    },
  },
  {
    name: 'ProductionMemoryHigh',
    metric: RUNTIME_METRIC.heapUsed,
    aggregation: 'ratio',
    denominator: { metric: RUNTIME_METRIC.heapLimit, match: {} },
    comparison: '>',
    threshold: 0.9,
    forMs: 300_000,
    severity: 'critical',
    annotations: {
      summary: 'V8 heap nearly full',
      description: 'The V8 heap is {{ $value }} of its limit (threshold 0.9).',
    },
  },
  {
    name: 'ProductionRateLimitRejectionsSurging',
    metric: METRIC.rateLimitDecisions,
    match: { [ATTR.decision]: 'rejected' },
    aggregation: 'ratio',
    denominator: { match: {} },
    windowMs: 300_000,
    groupBy: [ATTR.rateLimitScope],
    comparison: '>',
    threshold: 0.25,
    forMs: 120_000,
    severity: 'warning',
    annotations: {
      summary: 'Rate-limit rejections surging ({{ $labels.production_rate_limit_scope }})',
      description:
        '{{ $value }} of decisions at the {{ $labels.production_rate_limit_scope }} scope were rejections over 5 minutes (threshold 25%).',
    },
  },
];
