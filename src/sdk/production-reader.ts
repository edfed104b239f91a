import type { IncomingMessage, ServerResponse } from 'node:http';
import { diag } from '@opentelemetry/api';
import {
  AggregationTemporality,
  AggregationType,
  MetricReader,
  type CollectionResult,
  type MetricCollectOptions,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { Guard } from '../guard.js';
import { telemetryHub, type MetricsSource } from '../monitoring/hub.js';
import type { MetricSnapshot } from '../monitoring/snapshot.js';
import { metricCells } from '../telemetry/metric-cells.js';
import { markCellsCarrier, metricCellsProducer, providerReadersCarryCells, providerViewSource } from './cells-producer.js';
import { mergeScopes } from './merge-scopes.js';
import { AlertSchedule, type AlertScheduleStats } from './alert-schedule.js';
import { toSnapshot } from './convert.js';
import { negotiateExpositionFormat, type ExpositionFormat } from './exposition/format.js';
import { ExpositionWriter } from './exposition/writer.js';

/** Options of {@link ProductionMetricReader}. */
export interface ProductionReaderOptions {
  /** Resource attributes to copy onto every series as labels. */
  readonly withResourceConstantLabels?: RegExp;
  /** Leave out the `otel_scope_*` labels (a faster scrape, at the cost of scope disambiguation). */
  readonly withoutScopeInfo?: boolean;
  /** Leave out the `target_info` series. */
  readonly withoutTargetInfo?: boolean;
  /**
   * Let our instruments record into pre-bound metric cells (no attribute hashing per record) that this
   * reader and every reader made with `withMetricCells` export; used only when all of the MeterProvider's
   * readers carry them. Default true.
   */
  readonly metricCells?: boolean;
  /** Fixed interval of alert collection; by default the smallest interval the subscribed monitors ask for. */
  readonly alertIntervalMs?: number;
}

/**
 * Our one MetricReader (cumulative, default aggregations), registered beside the application's others.
 * It does three jobs:
 * - Prometheus: `requestHandler` for `GET /metrics` answers the text format 0.0.4, or OpenMetrics 1.0
 *   with exemplars when the scraper's `Accept` asks for it, written by our {@link ExpositionWriter} in
 *   slices that yield to the event loop; `getMetricsText()` gives the same text;
 * - alerts: it collects on its own `unref()`ed interval and hands each snapshot to the subscribed monitors;
 * - snapshots: `snapshot()` for `getMetrics()`.
 * One reader rather than three: the SDK keeps, per reader, every delta collected by the others until that
 * reader collects, so a rarely-collected second reader (no scrapes, no `getMetrics()`) grows without bound.
 */
export class ProductionMetricReader extends MetricReader implements MetricsSource {
  private readonly writer: ExpositionWriter;
  private readonly schedule: AlertSchedule;
  private registration: Guard | undefined;
  private bound = false;
  private closed = false;
  private readonly cells: boolean;
  private cellsActivated = false;

  constructor(options: ProductionReaderOptions = {}) {
    super({
      aggregationSelector: () => ({ type: AggregationType.DEFAULT }),
      aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE,
      metricProducers: [metricCellsProducer()],
    });
    markCellsCarrier(this);
    this.cells = options.metricCells !== false;
    this.writer = new ExpositionWriter({
      withResourceConstantLabels: options.withResourceConstantLabels,
      withoutScopeInfo: options.withoutScopeInfo,
      withoutTargetInfo: options.withoutTargetInfo,
    });
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

  /** Collects the SDK's metrics and the cells, the cells put into the scope of the same name. */
  override async collect(options?: MetricCollectOptions): Promise<CollectionResult> {
    const result = await super.collect(options);
    return { resourceMetrics: mergeScopes(result.resourceMetrics), errors: result.errors };
  }

  /** Collects now and writes the exposition (default the text format 0.0.4), exactly as the request handler does. */
  async getMetricsText(format: ExpositionFormat = 'prometheus'): Promise<string> {
    return this.writer.text(await this.collectForExposition(), format);
  }

  /**
   * A node:http handler answering `GET`/`HEAD /metrics`: OpenMetrics when the `Accept` header prefers it
   * (as Prometheus' scrapes do), else the text format 0.0.4; 500 when collection fails. The body is
   * streamed in slices, yielding to the event loop between them.
   */
  readonly requestHandler = (request: IncomingMessage, response: ServerResponse): void => {
    this.serve(request, response).catch((error: unknown) => {
      diag.error('ProductionMetricReader: /metrics failed', error);
      response.destroy();
    });
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

  private async collectForExposition(): Promise<ResourceMetrics> {
    const { resourceMetrics, errors } = await this.collect();
    if (errors.length > 0) diag.error('ProductionMetricReader: metrics collection errors', ...errors);
    return resourceMetrics;
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { format, contentType } = negotiateExpositionFormat(request.headers.accept);
    const headers = { 'content-type': contentType, 'cache-control': 'no-store', vary: 'Accept' };
    if (request.method === 'HEAD') {
      response.writeHead(200, headers).end();
      return;
    }
    let resourceMetrics: ResourceMetrics;
    try {
      resourceMetrics = await this.collectForExposition();
    } catch (error) {
      response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`# failed to export metrics: ${String(error)}\n`);
      return;
    }
    response.writeHead(200, headers);
    const gone = (): boolean => response.destroyed;
    await this.writer.write(resourceMetrics, format, (chunk) => void (gone() || response.write(chunk)), gone);
    if (!gone()) response.end();
  }

  protected override onInitialized(): void {
    this.bound = true;
    if (this.cells) this.activateCells();
    this.registration = telemetryHub.setSource(this);
    this.schedule.start();
  }

  protected override onShutdown(): Promise<void> {
    this.closed = true;
    if (this.cellsActivated) metricCells().active = false;
    this.schedule.stop();
    this.registration?.release();
    this.registration = undefined;
    return Promise.resolve();
  }

  // A microtask later, once the MeterProvider has bound all of its readers: the cells are exported only
  // when every one of them carries the producer (an application may have added a reader of its own) and
  // the provider's views can be read.
  private activateCells(): void {
    queueMicrotask(() => {
      if (this.closed) return;
      const views = providerViewSource(this);
      if (views === undefined || !providerReadersCarryCells(this)) {
        diag.debug('ProductionMetricReader: a reader without the metric cells producer; instruments record through the API');
        return;
      }
      metricCellsProducer().configure(views);
      metricCells().active = true;
      this.cellsActivated = true;
    });
  }

  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}
