import {
  SpanKind,
  SpanStatusCode,
  context,
  trace,
  type Histogram,
  type ObservableGauge,
  type ObservableCallback,
  type Tracer,
  type Span,
} from '@opentelemetry/api';
import { LEVEL_SEVERITY, LEVEL_TEXT } from '../telemetry/severity.js';
import type { LogLevel, OperationLogger } from '../pipeline.js';
import { getMeter, getOtelLogger, getTracer } from '../telemetry/api.js';
import { ATTR, DURATION_BUCKETS_SECONDS, METRIC } from '../telemetry/names.js';
import type { ComponentHealth, HealthTransition } from './component.js';
import type { CheckOutcome } from './result.js';
import { HEALTH_STATUSES, type HealthStatus } from './status.js';

const LEVEL_OF: Record<HealthStatus, LogLevel> = { healthy: 'info', warning: 'warn', critical: 'error', unknown: 'info' };

/** The live view the status gauge reads at collection time. */
export interface HealthGaugeSource {
  /** Each component with the status the endpoints would report now. */
  componentStatuses(): Iterable<readonly [ComponentHealth, HealthStatus]>;
}

/**
 * Health as OTel signals: a span per check, the check-duration histogram, the status gauge (read at
 * collection time, so checks never touch it) and a log record per status transition.
 */
export class HealthTelemetry {
  private readonly tracer: Tracer = getTracer();
  private readonly duration: Histogram;
  private readonly gauge: ObservableGauge;
  private readonly callback: ObservableCallback;

  constructor(
    source: HealthGaugeSource,
    private readonly logger: OperationLogger | undefined,
  ) {
    const meter = getMeter();
    this.duration = meter.createHistogram(METRIC.healthCheckDuration, {
      description: 'Run time of one health check, timeouts included',
      unit: 's',
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] },
    });
    this.gauge = meter.createObservableGauge(METRIC.healthStatus, {
      description: 'Health status per component: 1 for the current status, 0 for the others',
      unit: '1',
    });
    this.callback = (result) => {
      for (const [component, status] of source.componentStatuses()) {
        for (const candidate of HEALTH_STATUSES) result.observe(candidate === status ? 1 : 0, component.statusAttributes[candidate]);
      }
    };
    this.gauge.addCallback(this.callback);
  }

  /** Starts the span of one run: `health.check <component>`, a root or child of the active context. */
  startCheckSpan(component: ComponentHealth): Span {
    return this.tracer.startSpan(
      `health.check ${component.name}`,
      { kind: SpanKind.INTERNAL, attributes: component.attributes },
      context.active(),
    );
  }

  /** The context a check runs in, so its own spans (a DB ping) nest under the check's span. */
  contextFor(span: Span): ReturnType<typeof context.active> {
    return trace.setSpan(context.active(), span);
  }

  /** Ends a run's span and records its duration. */
  finishCheck(component: ComponentHealth, span: Span, outcome: CheckOutcome): void {
    this.duration.record(outcome.durationMs / 1000, component.attributes);
    if (span.isRecording()) {
      span.setAttribute(ATTR.status, outcome.status);
      if (outcome.status === 'critical') {
        if (outcome.errorType !== undefined) span.setAttribute(ATTR.errorType, outcome.errorType);
        span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error ?? outcome.result.output ?? 'critical' });
      }
    }
    span.end();
  }

  /** Logs a status change: through the monitoring logger when there is one, else as an OTel log record. */
  transition(change: HealthTransition): void {
    // A first healthy result after start-up is routine: debug, so a start prints no line per component.
    const level = change.from === 'unknown' && change.to === 'healthy' ? 'debug' : LEVEL_OF[change.to];
    const message = `Component ${change.component} is ${change.to} (was ${change.from})${change.error ? `: ${change.error}` : ''}`;
    const metadata = {
      [ATTR.component]: change.component,
      'production.health.from': change.from,
      'production.health.to': change.to,
      ...(change.error ? { 'error.message': change.error } : {}),
    };
    if (this.logger) {
      this.logger.log(level, 'health', 'health.transition', message, metadata);
      return;
    }
    getOtelLogger().emit({ severityNumber: LEVEL_SEVERITY[level], severityText: LEVEL_TEXT[level], body: message, attributes: metadata });
  }

  /** Detaches the gauge callback, so a stopped system no longer reports. */
  close(): void {
    this.gauge.removeCallback(this.callback);
  }
}
