import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { LogLevel, OperationLogger } from '../pipeline.js';

/** Attribute of a summary record: how many records like the first one were not written. */
export const SUPPRESSED_ATTR = 'production.log.suppressed';
/** Attribute of a summary record: the length of the interval it covers, in ms. */
export const SUMMARY_INTERVAL_ATTR = 'production.log.interval_ms';

/** Key used once `maxKeys` distinct keys are open in one interval: the rest share it. */
const OVERFLOW_KEY = '\u0000overflow';

interface Window {
  readonly level: LogLevel;
  readonly component: string;
  readonly operation: string;
  readonly message: string;
  readonly summary: Record<string, unknown>;
  suppressed: number;
}

/**
 * Keeps repeated log records from flooding the output in an outage: per key (an operation and an error
 * code, say) the first record of an interval is written and the others are only counted; when the interval
 * ends, one record says how many were suppressed. Spans and metrics are not affected: they still record
 * every call. Distinct keys per interval are capped (`maxKeys`); beyond, records share one overflow window.
 * The flush timer is `unref()`ed and stopped by {@link LogSummarizer.close}, which writes pending summaries.
 */
export class LogSummarizer {
  private readonly windows = new Map<string, Window>();
  private timer: NodeJS.Timeout | undefined;
  private intervalStart = 0;
  private closed = false;

  constructor(
    private readonly sink: OperationLogger,
    /** Interval in ms; 0 writes every record. */
    readonly intervalMs: number,
    private readonly maxKeys = 1000,
  ) {}

  /** Keys with an open window. */
  get openWindows(): number {
    return this.windows.size;
  }

  /**
   * Writes the record when it is the first for `key` in this interval, else counts it. `summary` holds the
   * attributes of the summary record (no per-call values such as correlation IDs).
   */
  log(
    key: string,
    level: LogLevel,
    component: string,
    operation: string,
    message: string,
    metadata?: Record<string, unknown>,
    summary: Record<string, unknown> = {},
  ): void {
    if (this.intervalMs <= 0 || this.closed) {
      this.sink.log(level, component, operation, message, metadata);
      return;
    }
    // The timer may be late (a blocked event loop): an interval that is over is closed here as well.
    if (this.windows.size > 0 && Date.now() - this.intervalStart >= this.intervalMs) this.flush();
    const open = this.windows.get(key) ?? (this.windows.size >= this.maxKeys ? this.windows.get(OVERFLOW_KEY) : undefined);
    if (open !== undefined) {
      open.suppressed++;
      return;
    }
    const windowKey = this.windows.size >= this.maxKeys ? OVERFLOW_KEY : key;
    this.windows.set(windowKey, { level, component, operation, message, summary, suppressed: 0 });
    this.timer ??= this.arm();
    this.sink.log(level, component, operation, message, metadata);
  }

  /**
   * Writes the pending summaries now and closes every window. Never throws. The summaries are written in the
   * root context: a flush runs inside whichever call (or timer armed by whichever call) came along, and a
   * summary speaks for many calls, so it must not carry that one call's trace or correlation ID.
   */
  flush(): void {
    context.with(ROOT_CONTEXT, () => this.writeSummaries());
  }

  private writeSummaries(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const windows = [...this.windows.values()];
    this.windows.clear();
    for (const w of windows) {
      if (w.suppressed === 0) continue;
      try {
        this.sink.log(
          w.level,
          w.component,
          w.operation,
          `${w.message} (${w.suppressed} more like this in the last ${this.intervalMs / 1000} s were not logged)`,
          {
            ...w.summary,
            [SUPPRESSED_ATTR]: w.suppressed,
            [SUMMARY_INTERVAL_ATTR]: this.intervalMs,
          },
        );
      } catch {
        // A broken sink must not break the timer that called us; the next summary tries again.
      }
    }
  }

  /** Writes pending summaries and stops the timer; later records are written as they come. */
  close(): void {
    this.closed = true;
    this.flush();
  }

  private arm(): NodeJS.Timeout {
    this.intervalStart = Date.now();
    const timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.intervalMs);
    timer.unref();
    return timer;
  }
}
