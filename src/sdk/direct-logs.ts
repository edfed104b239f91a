import { context, diag, isSpanContextValid, trace, type Context, type HrTime, type SpanContext } from '@opentelemetry/api';
import { type SeverityNumber, type AnyValue, type LogAttributes, type LogBody, type Logger, type LogRecord } from '@opentelemetry/api-logs';
import { timeInputToHrTime, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { LogRecordProcessor, SdkLogRecord } from '@opentelemetry/sdk-logs';
import { setOtelLoggerWrapper } from '../telemetry/api.js';

// The log path of the OTel logs SDK (0.223) costs about 280 ns per attribute on this machine: each value is
// checked for cycles with a new WeakSet (scalars included), the attributes are copied through
// `Object.entries`, the record is spread into a new object and the logger's config re-read. Our components
// log scalar attributes, so the record here checks scalars with a `typeof` and keeps the SDK's rules (limits,
// truncation, the cycle check for objects and arrays, the processors' `enabled`, read-only after `onEmit`).
// It is used only for a logger of the SDK's LoggerProvider whose internals are the expected ones and whose
// config is the default one; any other logger is used as it is.

/** The SDK's LogRecordLimits, resolved. */
interface Limits {
  readonly attributeCountLimit: number;
  readonly attributeValueLengthLimit: number;
}

/** The parts of the SDK's `Logger` (and its provider's shared state) this module reads. */
interface SdkLoggerInternals {
  readonly _instrumentationScope?: InstrumentationScope;
  readonly _loggerConfig?: { readonly disabled?: boolean; readonly minimumSeverity?: number; readonly traceBased?: boolean };
  readonly _sharedState?: {
    readonly hasShutdown?: boolean;
    readonly resource?: Resource;
    readonly logRecordLimits?: Limits;
    readonly activeProcessor?: LogRecordProcessor;
    readonly registeredLogRecordProcessors?: readonly LogRecordProcessor[];
    readonly loggerMetrics?: { emitLog(): void };
  };
}

function isScalar(value: unknown): boolean {
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean' || value === undefined || value === null;
}

/** The SDK's `isLogAttributeValue`: scalars, byte arrays, arrays and plain objects of those, no cycles. */
function isAnyValue(value: unknown, seen: WeakSet<object>): boolean {
  if (isScalar(value) || value instanceof Uint8Array) return true;
  if (typeof value !== 'object') return false;
  const object = value as Record<string, unknown>;
  if (seen.has(object)) return false;
  seen.add(object);
  if (Array.isArray(object)) return object.every((item) => isAnyValue(item, seen));
  if (object.constructor !== Object && object.constructor !== undefined) return false;
  for (const key in object) if (Object.prototype.hasOwnProperty.call(object, key) && !isAnyValue(object[key], seen)) return false;
  return true;
}

/** The SDK's `truncateToSize`. */
function truncate(value: AnyValue, limit: number): AnyValue {
  if (typeof value === 'string') return value.length <= limit ? value : value.substring(0, limit);
  if (value === null || value === undefined || typeof value !== 'object' || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map((item) => truncate(item, limit));
  const out: Record<string, AnyValue> = {};
  for (const [k, v] of Object.entries(value)) out[k] = truncate(v, limit);
  return out;
}

/** A log record as the SDK's `LogRecordImpl` makes it, for processors and exporters alike. */
class DirectLogRecord implements SdkLogRecord {
  hrTime: HrTime;
  hrTimeObserved: HrTime;
  spanContext?: SpanContext;
  severityText?: string;
  severityNumber?: SeverityNumber;
  body?: LogBody;
  eventName?: string;
  readonly attributes: LogAttributes = {};
  droppedAttributesCount = 0;
  private count = 0;
  private readonly = false;

  constructor(
    readonly resource: Resource,
    readonly instrumentationScope: InstrumentationScope,
    private readonly limits: Limits,
    record: LogRecord,
    ctx: Context,
  ) {
    const now = Date.now();
    this.hrTime = timeInputToHrTime(record.timestamp ?? now);
    this.hrTimeObserved = timeInputToHrTime(record.observedTimestamp ?? now);
    const spanContext = trace.getSpanContext(ctx);
    if (spanContext !== undefined && isSpanContextValid(spanContext)) this.spanContext = spanContext;
    this.severityNumber = record.severityNumber;
    this.severityText = record.severityText;
    this.body = record.body;
    this.eventName = record.eventName;
    const attributes = record.attributes;
    if (attributes !== undefined) for (const key in attributes) this.setAttribute(key, attributes[key]);
    if (record.exception !== undefined && record.exception !== null) diag.debug('direct logs: exception attributes are not set');
  }

  setAttribute(key: string, value?: AnyValue): this {
    if (this.readonly) return this;
    if (key.length === 0) {
      diag.warn(`Invalid attribute key: ${key}`);
      return this;
    }
    if (!isScalar(value) && !isAnyValue(value, new WeakSet())) {
      diag.warn(`Invalid attribute value set for key: ${key}`);
      return this;
    }
    const isNew = !Object.prototype.hasOwnProperty.call(this.attributes, key);
    if (isNew && this.count >= this.limits.attributeCountLimit) {
      if (++this.droppedAttributesCount === 1) diag.warn('Dropping extra attributes.');
      return this;
    }
    const limit = this.limits.attributeValueLengthLimit;
    this.attributes[key] = limit > 0 && limit !== Infinity && value !== undefined ? truncate(value, limit) : value;
    if (isNew) this.count++;
    return this;
  }

  setAttributes(attributes: LogAttributes): this {
    for (const key in attributes) this.setAttribute(key, attributes[key]);
    return this;
  }

  setBody(body: LogBody): this {
    if (!this.readonly) this.body = body;
    return this;
  }

  setEventName(eventName: string): this {
    if (!this.readonly) this.eventName = eventName;
    return this;
  }

  setSeverityNumber(severityNumber: SeverityNumber): this {
    if (!this.readonly) this.severityNumber = severityNumber;
    return this;
  }

  setSeverityText(severityText: string): this {
    if (!this.readonly) this.severityText = severityText;
    return this;
  }

  /** After `onEmit`: a processor that keeps the record may only read it, as with the SDK's record. */
  makeReadonly(): void {
    this.readonly = true;
  }
}

/**
 * A Logger emitting {@link DirectLogRecord}s to the processors of the SDK logger it wraps. The SDK logger's
 * config is read once (the SDK does not reconfigure either); a logger with a non-default config, and a
 * record with an `exception`, go through the SDK logger itself.
 */
class DirectLogger implements Logger {
  constructor(
    private readonly sdk: Logger,
    private readonly scope: InstrumentationScope,
    // The provider's live shared state (its `hasShutdown` is read on each emit).
    private readonly state: NonNullable<SdkLoggerInternals['_sharedState']>,
    private readonly parts: { readonly resource: Resource; readonly limits: Limits; readonly processor: LogRecordProcessor },
    private readonly filtering: readonly LogRecordProcessor[],
  ) {}

  emit(record: LogRecord): void {
    if (record.exception !== undefined) return this.sdk.emit(record);
    const state = this.state;
    if (state.hasShutdown === true) return;
    const ctx = record.context ?? context.active();
    if (this.filtering.length > 0 && !this.anyEnabled(record, ctx)) return;
    const parts = this.parts;
    const logRecord = new DirectLogRecord(parts.resource, this.scope, parts.limits, record, ctx);
    state.loggerMetrics?.emitLog();
    parts.processor.onEmit(logRecord, ctx);
    logRecord.makeReadonly();
  }

  enabled(options?: Parameters<Logger['enabled']>[0]): boolean {
    return this.sdk.enabled(options);
  }

  // The SDK's rule: enabled when some processor has no `enabled`, or says yes.
  private anyEnabled(record: LogRecord, ctx: Context): boolean {
    const options = { context: ctx, instrumentationScope: this.scope, severityNumber: record.severityNumber, eventName: record.eventName };
    for (const processor of this.state.registeredLogRecordProcessors ?? []) {
      if (typeof processor.enabled !== 'function' || processor.enabled(options)) return true;
    }
    return false;
  }
}

/** `logger` as a {@link DirectLogger} when it is an SDK logger with the default config, else `logger` itself. */
export function directLogger(logger: Logger): Logger {
  const internals = logger as unknown as SdkLoggerInternals;
  const scope = internals._instrumentationScope;
  const config = internals._loggerConfig;
  const state = internals._sharedState;
  if (scope === undefined || config === undefined || state === undefined) return logger;
  if (config.disabled !== false || config.traceBased !== false || (config.minimumSeverity ?? 0) !== 0) return logger;
  const { resource, logRecordLimits, activeProcessor } = state;
  if (resource === undefined || logRecordLimits === undefined || typeof activeProcessor?.onEmit !== 'function') return logger;
  const processors = state.registeredLogRecordProcessors ?? [];
  // With no processor the SDK emits nothing; its own logger checks that as cheaply.
  if (processors.length === 0) return logger;
  const filtering = processors.filter((processor) => typeof processor.enabled === 'function');
  return new DirectLogger(logger, scope, state, { resource, limits: logRecordLimits, processor: activeProcessor }, filtering);
}

/** Makes our components' OTel logger a {@link directLogger} (idempotent). */
export function installDirectLogs(): void {
  setOtelLoggerWrapper(directLogger);
}
