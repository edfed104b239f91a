import { SpanStatusCode, trace, type Attributes, type Histogram, type Counter, type Span } from '@opentelemetry/api';
import { ProductionError, RateLimitedError, CircuitOpenError } from '../errors.js';
import type { BreakerTransition, CallState, OperationLogger, RecoveryListener, RetrySkipReason } from '../pipeline.js';
import { getMeter } from './api.js';
import { operationDurationExemplars, type ExemplarStore } from './exemplars.js';
import { LogSummarizer } from './log-summary.js';
import {
  metricCells,
  OPERATION_DURATION_DESCRIPTION,
  operationDurationCells,
  type CellInstrument,
  type CounterCell,
  type HistogramCell,
} from './metric-cells.js';
import { ATTR, DURATION_BUCKETS_SECONDS, METRIC, SCOPE_NAME, SCOPE_VERSION, type Outcome } from './names.js';

const RETRIES_DESCRIPTION = 'Retries of protected operations';
const MAX_RETRY_SERIES = 2000;

const BREAKER_STATE_NAMES = ['closed', 'open', 'half_open'] as const;

/** Distinct `error.type` values kept per operation; the rest are reported as `_OTHER`. */
const MAX_ERROR_TYPES = 32;

/** An attribute set and its pre-bound cell in the duration histogram. */
export interface DurationSeries {
  readonly attributes: Attributes;
  readonly cell: HistogramCell;
}

/** The attribute sets of one operation and their duration cells, built once so recording neither allocates nor hashes. */
export class OperationAttributes {
  readonly success: Attributes;
  readonly base: Attributes;
  /** The success series' cell in the duration histogram. */
  readonly successCell: HistogramCell;
  private readonly errors = new Map<string, DurationSeries>();
  private readonly rejections = new Map<string, DurationSeries>();

  constructor(readonly operationName: string) {
    this.base = { [ATTR.operationName]: operationName };
    this.success = { [ATTR.operationName]: operationName, [ATTR.outcome]: 'success' };
    this.successCell = operationDurationCells().cell(this.success);
  }

  /** Attributes of a failed or refused call with `errorType`. */
  failure(outcome: Exclude<Outcome, 'success'>, errorType: string): Attributes {
    return this.failureSeries(outcome, errorType).attributes;
  }

  /** Attributes and duration cell of a failed or refused call with `errorType`. */
  failureSeries(outcome: Exclude<Outcome, 'success'>, errorType: string): DurationSeries {
    const cache = outcome === 'error' ? this.errors : this.rejections;
    let series = cache.get(errorType);
    if (series === undefined) {
      const type = cache.size < MAX_ERROR_TYPES ? errorType : '_OTHER';
      series = cache.get(type);
      if (series === undefined) {
        const attributes = { [ATTR.operationName]: this.operationName, [ATTR.outcome]: outcome, [ATTR.errorType]: type };
        series = { attributes, cell: operationDurationCells().cell(attributes) };
      }
      if (cache.size < MAX_ERROR_TYPES) cache.set(type, series);
    }
    return series;
  }
}

/** `error.type` of an error: our stable code, else the error's class name. */
export function errorType(error: unknown): string {
  if (error instanceof ProductionError) return error.code;
  if (error instanceof Error) return error.name && error.name !== 'Error' ? error.name : error.constructor?.name || 'Error';
  return typeof error;
}

/** Options of {@link PipelineTelemetry}. */
export interface PipelineTelemetryOptions {
  /** Keep the trace and span of a recent sampled call per duration bucket as its exemplar (default true). */
  readonly exemplars?: boolean;
  /** Series of the duration histogram that may hold exemplars (the cardinality limit); default 2000. */
  readonly exemplarSeries?: number;
  /**
   * Refusals, failures and retries are logged as the first record per operation and error type in each
   * interval of this many ms, then one record with the count suppressed; 0 logs every one. Default 10000.
   */
  logSummaryIntervalMs?: number;
}

/**
 * The telemetry of the pipeline, as a listener: recovery and system report what happened, this turns it into
 * span events, metric points, exemplars and log records. Nothing else in the pipeline touches telemetry. Spans
 * and metrics record every call; the log records of refusals, failures and retries are summarised per interval,
 * so an outage at thousands of calls a second does not become thousands of log records a second.
 */
export class PipelineTelemetry implements RecoveryListener {
  private readonly duration: Histogram;
  private readonly durationCells: CellInstrument<HistogramCell>;
  private readonly retries: Counter;
  private readonly retryCells: CellInstrument<CounterCell>;
  // Retry series per operation name (capped like the operations' error types are).
  private readonly retrySeries = new Map<string, { attributes: Attributes; cell: CounterCell }>();
  private readonly budgetExhausted: Counter;
  private readonly exemplars: ExemplarStore | undefined;
  private readonly logs: LogSummarizer | undefined;

  constructor(
    private readonly logger: OperationLogger | undefined,
    options: PipelineTelemetryOptions = {},
  ) {
    this.exemplars = options.exemplars === false ? undefined : operationDurationExemplars(options.exemplarSeries);
    this.logs = logger === undefined ? undefined : new LogSummarizer(logger, options.logSummaryIntervalMs ?? 10_000);
    const meter = getMeter();
    this.durationCells = operationDurationCells();
    this.retryCells = metricCells().counter({
      name: METRIC.operationRetries,
      unit: '{retry}',
      description: RETRIES_DESCRIPTION,
      scope: SCOPE_NAME,
      scopeVersion: SCOPE_VERSION,
    });
    this.duration = meter.createHistogram(METRIC.operationDuration, {
      description: OPERATION_DURATION_DESCRIPTION,
      unit: 's',
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] },
    });
    this.retries = meter.createCounter(METRIC.operationRetries, {
      description: RETRIES_DESCRIPTION,
      unit: '{retry}',
    });
    this.budgetExhausted = meter.createCounter(METRIC.retryBudgetExhausted, {
      description: 'Retries not made because the retry budget of the dependency (or operation) was empty',
      unit: '{retry}',
    });
  }

  /**
   * Registers the observable instruments that read live state at collection time, so the hot path only
   * bumps plain counters: active operations and breaker states.
   */
  observe(sources: {
    activeOperations(): Iterable<readonly [string, number]>;
    breakerStates(): Iterable<{ operation: string; state: string }>;
    retryBudgets?(): Iterable<{ dependency: string; balance: number }>;
  }): void {
    const meter = getMeter();
    const active = meter.createObservableUpDownCounter(METRIC.operationActive, {
      description: 'Protected operations in flight',
      unit: '{operation}',
    });
    const breaker = meter.createObservableGauge(METRIC.circuitBreakerState, {
      description: 'Circuit breaker state: 1 for the current state, 0 for the others',
      unit: '1',
    });
    const balance = meter.createObservableGauge(METRIC.retryBudgetBalance, {
      description: 'Retries the retry budget allows now, per dependency (or operation with its own budget)',
      unit: '{retry}',
    });
    meter.addBatchObservableCallback(
      (result) => {
        for (const [operation, count] of sources.activeOperations()) {
          result.observe(active, count, { [ATTR.operationName]: operation });
        }
        for (const { operation, state } of sources.breakerStates()) {
          for (const candidate of BREAKER_STATE_NAMES) {
            result.observe(breaker, candidate === state ? 1 : 0, { [ATTR.operationName]: operation, [ATTR.state]: candidate });
          }
        }
        for (const budget of sources.retryBudgets?.() ?? [])
          result.observe(balance, budget.balance, { [ATTR.dependency]: budget.dependency });
      },
      [active, breaker, balance],
    );
  }

  /** Step 7 on success. */
  succeeded(attrs: OperationAttributes, span: Span, seconds: number, attempts: number): void {
    if (this.durationCells.active) attrs.successCell.record(seconds);
    else this.duration.record(seconds, attrs.success);
    if (span.isRecording()) {
      this.exemplars?.offer(attrs.success, seconds, span.spanContext());
      span.setAttribute(ATTR.outcome, 'success');
      span.setAttribute(ATTR.attempts, attempts);
    }
  }

  /** Step 7 on failure: `rejected` when the production layer refused the call before it ran. */
  failed(attrs: OperationAttributes, call: CallState, seconds: number, error: unknown, rejected: boolean): void {
    const type = errorType(error);
    const outcome: Outcome = rejected ? 'rejected' : 'error';
    const series = attrs.failureSeries(outcome, type);
    const attributes = series.attributes;
    if (this.durationCells.active) series.cell.record(seconds);
    else this.duration.record(seconds, attributes);
    const span = call.span;
    if (span.isRecording()) {
      this.exemplars?.offer(attributes, seconds, span.spanContext());
      span.setAttribute(ATTR.outcome, outcome);
      span.setAttribute(ATTR.attempts, call.attempts);
      span.setAttribute(ATTR.errorType, type);
      if (error instanceof RateLimitedError) {
        span.addEvent('rate_limit.rejected', { [ATTR.rateLimitScope]: error.scope, 'production.retry_after_ms': error.retryAfterMs });
      } else if (error instanceof CircuitOpenError) {
        span.addEvent('circuit_breaker.rejected', { 'production.retry_after_ms': error.retryAfterMs });
      } else if (rejected) {
        span.addEvent('rejected', { [ATTR.errorType]: type });
      }
      if (error instanceof Error) span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    }
    const message = rejected
      ? `Operation rejected: ${type}`
      : `Operation failed: ${error instanceof Error ? error.message : String(error)}`;
    this.logs?.log(
      `${outcome}\u0000${attrs.operationName}\u0000${type}`,
      rejected ? 'warn' : 'error',
      'system',
      attrs.operationName,
      message,
      {
        [ATTR.correlationId]: call.correlationId,
        [ATTR.executionTimeMs]: seconds * 1000,
        [ATTR.errorType]: type,
        [ATTR.attempts]: call.attempts,
        ...(call.userId !== undefined ? { [ATTR.userId]: call.userId } : {}),
      },
      { [ATTR.errorType]: type, [ATTR.outcome]: outcome },
    );
  }

  /** A retry is about to wait: span event `retry` and the retries counter. */
  onRetry(call: CallState, failedAttempt: number, delayMs: number, error: unknown): void {
    const type = errorType(error);
    call.span.addEvent('retry', { [ATTR.attempt]: failedAttempt, [ATTR.retryDelayMs]: delayMs, [ATTR.errorType]: type });
    const series = this.retrySeriesOf(call.operationName);
    if (this.retryCells.active) series.cell.add(1);
    else this.retries.add(1, series.attributes);
    this.logs?.log(
      `retry\u0000${call.operationName}\u0000${type}`,
      'warn',
      'error_recovery',
      call.operationName,
      `Attempt ${failedAttempt} failed (${type}); retrying in ${Math.round(delayMs)} ms`,
      {
        [ATTR.correlationId]: call.correlationId,
        [ATTR.attempt]: failedAttempt,
        [ATTR.retryDelayMs]: delayMs,
        [ATTR.errorType]: type,
      },
      { [ATTR.errorType]: type },
    );
  }

  /**
   * A retry did not start: span event `retry.skipped` with the reason and, when the budget was empty,
   * `retry.budget_exhausted` and the exhausted counter.
   */
  onRetrySkipped(call: CallState, failedAttempt: number, reason: RetrySkipReason, error: unknown, budget: string | undefined): void {
    const type = errorType(error);
    call.span.addEvent('retry.skipped', { [ATTR.attempt]: failedAttempt, [ATTR.retrySkipReason]: reason, [ATTR.errorType]: type });
    if (reason !== 'budget' || budget === undefined) return;
    call.span.addEvent('retry.budget_exhausted', { [ATTR.attempt]: failedAttempt, [ATTR.dependency]: budget });
    this.budgetExhausted.add(1, { [ATTR.dependency]: budget });
  }

  private retrySeriesOf(operation: string): { attributes: Attributes; cell: CounterCell } {
    let series = this.retrySeries.get(operation);
    if (series === undefined) {
      const attributes = { [ATTR.operationName]: operation };
      series = { attributes, cell: this.retryCells.cell(attributes) };
      if (this.retrySeries.size < MAX_RETRY_SERIES) this.retrySeries.set(operation, series);
    }
    return series;
  }

  /** Writes the pending log summaries and stops summarising (at shutdown). */
  close(): void {
    this.logs?.close();
  }

  /** A breaker changed state: event on the span of the call that moved it, and a log record. */
  onBreakerTransition(event: BreakerTransition): void {
    trace.getActiveSpan()?.addEvent('circuit_breaker.transition', {
      [ATTR.operationName]: event.operation,
      'production.circuit_breaker.from': event.from,
      'production.circuit_breaker.to': event.to,
    });
    const level = event.to === 'open' ? 'error' : event.to === 'half_open' ? 'warn' : 'info';
    this.logger?.log(level, 'error_recovery', event.operation, `Circuit breaker ${event.from} -> ${event.to}`, {
      'production.circuit_breaker.from': event.from,
      'production.circuit_breaker.to': event.to,
    });
  }
}
