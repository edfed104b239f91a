import type { IncomingMessage, ServerResponse } from 'node:http';
import { diag } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { Guard } from '../guard.js';
import { telemetryHub, type MetricsSource } from '../monitoring/hub.js';
import type { MetricSnapshot } from '../monitoring/snapshot.js';
import { AlertSchedule, type AlertScheduleStats } from './alert-schedule.js';
import { toSnapshot } from './convert.js';

/** Options of {@link ProductionMetricReader}. */
export interface ProductionReaderOptions {
  /** Resource attributes to copy onto every series as labels. */
  readonly withResourceConstantLabels?: RegExp;
  /** Leave out the `otel_scope_*` labels (a faster scrape, at the cost of scope disambiguation). */
  readonly withoutScopeInfo?: boolean;
  /** Leave out the `target_info` series. */
  readonly withoutTargetInfo?: boolean;
  /** Fixed interval of alert collection; by default the smallest interval the subscribed monitors ask for. */
  readonly alertIntervalMs?: number;
}

/** Content type of the Prometheus text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Our one MetricReader, registered beside the application's others. It is
 * `@opentelemetry/exporter-prometheus`'s exporter with its server never started, and does three jobs:
 * - Prometheus: `requestHandler` (the exporter's handler) for `GET /metrics`, and `getMetricsText()`
 *   through the same serializer settings, so both give the same text;
 * - alerts: it collects on its own `unref()`ed interval and hands each snapshot to the subscribed monitors;
 * - snapshots: `snapshot()` for `getMetrics()`.
 * One reader rather than three: the SDK keeps, per reader, every delta collected by the others until that
 * reader collects, so a rarely-collected second reader (no scrapes, no `getMetrics()`) grows without bound.
 */
export class ProductionMetricReader extends PrometheusExporter implements MetricsSource {
  private readonly serializer: PrometheusSerializer;
  private readonly schedule: AlertSchedule;
  private registration: Guard | undefined;
  private bound = false;
  private closed = false;

  constructor(options: ProductionReaderOptions = {}) {
    super({
      preventServerStart: true,
      ...(options.withResourceConstantLabels ? { withResourceConstantLabels: options.withResourceConstantLabels } : {}),
      ...(options.withoutScopeInfo ? { withoutScopeInfo: true } : {}),
      ...(options.withoutTargetInfo ? { withoutTargetInfo: true } : {}),
    });
    this.serializer = new PrometheusSerializer('', false, options.withResourceConstantLabels, options.withoutTargetInfo ?? false, options.withoutScopeInfo ?? false);
    this.schedule = new AlertSchedule(() => this.snapshot(), options.alertIntervalMs);
  }

  /** True once a MeterProvider bound this reader. */
  get isBound(): boolean {
    return this.bound;
  }

  /** True once shut down. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Collects now and serializes, exactly as the request handler does. */
  async getMetricsText(): Promise<string> {
    const { resourceMetrics, errors } = await this.collect();
    if (errors.length > 0) diag.error('ProductionMetricReader: metrics collection errors', ...errors);
    return this.serializer.serialize(resourceMetrics);
  }

  /** A node:http handler answering with the exposition (the exporter's own handler, with the format's content type). */
  readonly requestHandler = (request: IncomingMessage, response: ServerResponse): void => {
    this.getMetricsRequestHandler(request, response);
    if (!response.headersSent) response.setHeader('content-type', PROMETHEUS_CONTENT_TYPE);
  };

  /** Collects now into a plain snapshot. */
  async snapshot(): Promise<MetricSnapshot> {
    const { resourceMetrics } = await this.collect();
    return toSnapshot(resourceMetrics);
  }

  /** Collects now and hands the snapshot to the subscribed monitors (the interval does this on its own). */
  evaluateNow(): Promise<void> {
    return this.schedule.tick();
  }

  /** Counters of the alert collection schedule. */
  alertStats(): AlertScheduleStats {
    return this.schedule.stats();
  }

  /** {@link MetricsSource} */
  collectSnapshot(): Promise<MetricSnapshot> {
    return this.snapshot();
  }

  /** {@link MetricsSource} */
  prometheusText(): Promise<string> {
    return this.getMetricsText();
  }

  /** {@link MetricsSource} */
  handleMetricsRequest(request: IncomingMessage, response: ServerResponse): void {
    this.requestHandler(request, response);
  }

  protected override onInitialized(): void {
    this.bound = true;
    this.registration = telemetryHub.setSource(this);
    this.schedule.start();
  }

  override onShutdown(): Promise<void> {
    this.closed = true;
    this.schedule.stop();
    this.registration?.release();
    this.registration = undefined;
    return super.onShutdown();
  }
}
