import type { Span } from '@opentelemetry/api';
import { TimeoutError } from '../errors.js';
import type { LogLevel } from '../pipeline.js';
import type { CheckpointStore, ShutdownCheckpoint } from './checkpoint.js';
import { Deadline, settleWithin, type Clock, type Settled } from '../internal/time.js';
import { priorityGroups, type HandlerOutcome, type HandlerResult, type HandlerStep, type RegisteredHandler } from './handler.js';
import type { HandlerRegistry } from './registry.js';
import { describeError } from './process-hooks.js';
import type { ShutdownProgress } from './progress.js';
import type { CheckpointRecord, PhaseOutcome } from './report.js';
import { SHUTDOWN_ATTR } from './telemetry.js';

/** The manager's log function. */
export type ShutdownLog = (level: LogLevel, operation: string, message: string, metadata?: Record<string, unknown>) => void;

/**
 * Runs one step of every registered handler: priority groups one after the other, the handlers of a group
 * concurrently, each within its own timeout and the phase's signal. Records every outcome and checkpoint.
 */
export class HandlerRunner {
  /** Every step run, in order. */
  readonly results: HandlerResult[] = [];
  /** Checkpoints taken, one per component. */
  readonly checkpoints = new Map<string, ShutdownCheckpoint>();
  /** Checkpoint records for the report. */
  readonly checkpointRecords: CheckpointRecord[] = [];
  /** The span of the phase running, where handler failures become events. */
  span: Span | undefined;

  constructor(
    private readonly handlers: HandlerRegistry,
    private readonly progress: ShutdownProgress,
    private readonly clock: Clock,
    private readonly store: CheckpointStore | undefined,
    private readonly log: ShutdownLog,
  ) {}

  /**
   * Runs `step` of every handler that implements it. With `capMs`, no handler gets longer than that.
   * Handlers whose group starts after `signal` fired are recorded as skipped.
   */
  async run(step: HandlerStep, signal: AbortSignal, capMs = Infinity): Promise<PhaseOutcome> {
    let clean = true;
    for (const group of priorityGroups(this.handlers.values(), step)) {
      if (signal.aborted) {
        for (const h of group) this.results.push({ name: h.name, step, outcome: 'skipped', durationMs: 0 });
        clean = false;
        continue;
      }
      const outcomes = await Promise.all(group.map((h) => this.runOne(h, step, signal, Math.min(h.timeoutMs, capMs))));
      if (outcomes.some((o) => o !== 'completed')) clean = false;
    }
    return clean ? 'completed' : 'completed_with_errors';
  }

  private async runOne(h: RegisteredHandler, step: HandlerStep, parentSignal: AbortSignal, timeoutMs: number): Promise<HandlerOutcome> {
    const deadline = new Deadline(timeoutMs, `shutdown handler ${h.name}.${step}`, parentSignal);
    const start = this.clock.wall();
    let settled: Settled<unknown>;
    try {
      const work = step === 'saveState' ? this.saveState(h, deadline.signal) : h.handler[step]!(deadline.signal);
      settled = await settleWithin(work, deadline.signal);
    } catch (error) {
      settled = { status: 'error', error };
    } finally {
      deadline.dispose();
    }
    const outcome: HandlerOutcome =
      settled.status === 'ok'
        ? 'completed'
        : settled.status === 'error'
          ? 'failed'
          : deadline.signal.reason instanceof TimeoutError
            ? 'timed_out'
            : 'aborted';
    const durationMs = this.clock.wall() - start;
    this.progress.recordHandler(outcome);
    const error = settled.status === 'error' ? describeError(settled.error) : undefined;
    this.results.push({ name: h.name, step, outcome, durationMs, ...(error ? { error: String(error['exception.message']) } : {}) });
    if (outcome !== 'completed') {
      this.span?.addEvent(`handler.${outcome}`, { [SHUTDOWN_ATTR.handler]: h.name, [SHUTDOWN_ATTR.step]: step });
      this.log(outcome === 'failed' ? 'error' : 'warn', step, `Shutdown handler ${h.name} ${step} ${outcome}`, {
        handler: h.name,
        step,
        outcome,
        duration_ms: durationMs,
        ...error,
      });
    }
    return outcome;
  }

  /** Takes one handler's state and checkpoints it, within that handler's step deadline. */
  private async saveState(h: RegisteredHandler, signal: AbortSignal): Promise<void> {
    const state: unknown = await h.handler.saveState!(signal);
    // A late answer was already reported as timed out; saving it now would contradict the report.
    if (state === undefined || signal.aborted) return;
    const now = this.clock.wall();
    const checkpoint: ShutdownCheckpoint = {
      version: 1,
      component: h.name,
      timestamp: new Date(now).toISOString(),
      timestampMs: now,
      state,
    };
    if (this.store !== undefined) await this.store.save(checkpoint);
    if (signal.aborted) return;
    this.checkpoints.set(h.name, checkpoint);
    this.checkpointRecords.push({ component: h.name, timestamp: checkpoint.timestamp, persisted: this.store !== undefined });
    // Kept in memory only (no store configured) is not saved: the shutdown log and report must not say so.
    if (this.store !== undefined) this.progress.recordCheckpoint();
  }
}
