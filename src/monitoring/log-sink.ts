import { context, trace } from '@opentelemetry/api';
import type { AnyValue, LogAttributes, Logger } from '@opentelemetry/api-logs';
import type { LogLevel } from '../pipeline.js';
import type { LogBufferStats } from './snapshot.js';

export type { LogBufferStats } from './snapshot.js';
import { currentCorrelationId } from '../telemetry/correlation.js';
import { ATTR } from '../telemetry/names.js';
import { LEVEL_RANK, LEVEL_SEVERITY, LEVEL_TEXT } from './levels.js';
import { Ring } from './ring.js';

/** One structured log entry, the seed's `LogEntry`. */
export interface LogEntry {
  /** ms since the epoch. */
  readonly timestamp: number;
  readonly level: LogLevel;
  readonly component: string;
  readonly operation: string;
  readonly message: string;
  /** The caller's metadata object, as given (not copied). */
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly correlationId: string | undefined;
  readonly executionTimeMs: number | undefined;
  /** Trace and span of the active context when logged. */
  readonly traceId: string | undefined;
  readonly spanId: string | undefined;
}

/** Which recent entries `getRecentLogs` returns. */
export interface LogFilter {
  /** Minimum level. */
  readonly level?: LogLevel;
  readonly component?: string;
  readonly operation?: string;
  readonly correlationId?: string;
  /** Most entries returned, newest first (default 100). */
  readonly limit?: number;
}

const EMPTY_METADATA: Readonly<Record<string, unknown>> = Object.freeze({});

function toAnyValue(value: unknown): AnyValue {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
      return undefined;
    case 'object':
      if (value === null) return null;
      if (value instanceof Error) return `${value.name}: ${value.message}`;
      if (value instanceof Date) return value.toISOString();
      return value as AnyValue;
    default:
      return String(value);
  }
}

/**
 * The log path: one level comparison when below the minimum; otherwise one OTel log record (with the
 * active context, so trace and span IDs ride along) and one entry in the bounded ring.
 */
export class LogSink {
  private minRank: number;
  private readonly ring: Ring<LogEntry>;

  constructor(
    private readonly logger: Logger,
    minLevel: LogLevel,
    capacity: number,
  ) {
    this.minRank = LEVEL_RANK[minLevel];
    this.ring = new Ring<LogEntry>(capacity);
  }

  /** Changes the minimum level at run time. */
  setLevel(level: LogLevel): void {
    this.minRank = LEVEL_RANK[level];
  }

  /** True when `level` would be recorded. */
  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= this.minRank;
  }

  log(level: LogLevel, component: string, operation: string, message: string, metadata?: Record<string, unknown>): void {
    if (LEVEL_RANK[level] < this.minRank) return;
    const ctx = context.active();
    const spanContext = trace.getSpanContext(ctx);
    const valid = spanContext !== undefined && trace.isSpanContextValid(spanContext);
    const attributes: LogAttributes = { [ATTR.component]: component, [ATTR.operationName]: operation };
    let correlationId: string | undefined;
    let executionTimeMs: number | undefined;
    if (metadata !== undefined) {
      for (const key in metadata) {
        const value = metadata[key];
        if (value !== undefined) attributes[key] = toAnyValue(value);
      }
      const explicit = metadata[ATTR.correlationId] ?? metadata.correlationId;
      if (typeof explicit === 'string') correlationId = explicit;
      const elapsed = metadata[ATTR.executionTimeMs] ?? metadata.executionTimeMs;
      if (typeof elapsed === 'number') executionTimeMs = elapsed;
    }
    correlationId ??= currentCorrelationId(ctx);
    if (correlationId !== undefined) attributes[ATTR.correlationId] = correlationId;
    if (executionTimeMs !== undefined) attributes[ATTR.executionTimeMs] = executionTimeMs;
    const timestamp = Date.now();
    this.logger.emit({
      timestamp,
      severityNumber: LEVEL_SEVERITY[level],
      severityText: LEVEL_TEXT[level],
      body: message,
      attributes,
      context: ctx,
    });
    this.ring.push({
      timestamp,
      level,
      component,
      operation,
      message,
      metadata: metadata ?? EMPTY_METADATA,
      correlationId,
      executionTimeMs,
      traceId: valid ? spanContext.traceId : undefined,
      spanId: valid ? spanContext.spanId : undefined,
    });
  }

  /** Recent entries, newest first, that pass `filter`. */
  recent(filter: LogFilter = {}): LogEntry[] {
    const minRank = filter.level === undefined ? 0 : LEVEL_RANK[filter.level];
    const { component, operation, correlationId } = filter;
    return this.ring.newest(
      filter.limit ?? 100,
      (e) =>
        LEVEL_RANK[e.level] >= minRank &&
        (component === undefined || e.component === component) &&
        (operation === undefined || e.operation === operation) &&
        (correlationId === undefined || e.correlationId === correlationId),
    );
  }

  /** Ring use for `healthCheck()`. */
  stats(): LogBufferStats {
    const minLevel = (Object.keys(LEVEL_RANK) as LogLevel[]).find((l) => LEVEL_RANK[l] === this.minRank)!;
    return { size: this.ring.size, capacity: this.ring.capacity, overwritten: this.ring.overwritten, minLevel };
  }
}
