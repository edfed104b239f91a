import { SpanStatusCode, context, trace, type Context, type Span } from '@opentelemetry/api';
import { z } from 'zod';
import { parseSection } from '../config.js';
import { InvalidConfigError, ShuttingDownError, TimeoutError } from '../errors.js';
import type { Guard } from '../guard.js';
import type { LogLevel, OperationLogger, ShutdownGate } from '../pipeline.js';
import { getTracer } from '../telemetry/api.js';
import { ATTR } from '../telemetry/names.js';
import { FileCheckpointStore, type CheckpointStore, type ShutdownCheckpoint } from './checkpoint.js';
import { Deadline, delay, settleWithin, systemClock, type Settled, type ShutdownClock } from './clock.js';
import { shutdownConfigSchema, type ShutdownConfig } from './config.js';
import {
  DEFAULT_HANDLER_PRIORITY,
  priorityGroups,
  type HandlerOptions,
  type HandlerOutcome,
  type HandlerResult,
  type HandlerStep,
  type RegisteredHandler,
  type ShutdownHandler,
} from './handler.js';
import { ShutdownPhase, type WorkingPhase } from './phases.js';
import { describeError, ProcessListeners, type ProcessEvents, type ProcessListener } from './process-hooks.js';
import { ShutdownProgress } from './progress.js';
import type { CheckpointRecord, PhaseOutcome, PhaseReport, ShutdownReport } from './report.js';
import { SHUTDOWN_ATTR, SHUTDOWN_SPAN_NAME, ShutdownPhaseGauge } from './telemetry.js';

/** What the constructor accepts: every field optional, defaults fill the rest. */
export type ShutdownConfigInput = z.input<typeof shutdownConfigSchema>;

/** Collaborators of {@link GracefulShutdownManager}, all optional. */
export interface GracefulShutdownOptions {
  /** Receives a record per phase transition, handler failure, signal and uncaught error. */
  logger?: OperationLogger;
  /** Time source; default the real clock. */
  clock?: ShutdownClock;
  /** Ends the process after a signal-initiated shutdown; default `process.exit`. */
  exit?: (code: number) => void;
  /** Where SaveState writes; default a {@link FileCheckpointStore} in `config.checkpointDir` when set. */
  checkpointStore?: CheckpointStore;
  /** Where signal and uncaught-error listeners go; default `process`. */
  processEvents?: ProcessEvents;
}

/** Plain JSON view of a shutdown in progress, as shown on the status page. */
export interface ShutdownProgressSnapshot {
  phase: ShutdownPhase;
  ready: boolean;
  shutting_down: boolean;
  forced: boolean;
  reason: string | null;
  started_at: string | null;
  elapsed_ms: number;
  active_requests: number;
  accepted_requests: number;
  rejected_requests: number;
  drained_requests: number;
  abandoned_requests: number;
  handlers_registered: number;
  handlers_run: number;
  handlers_failed: number;
  handlers_timed_out: number;
  checkpoints_saved: number;
  uncaught_errors: number;
}

const MAX_HANDLERS = 1000;
const COMPONENT = 'shutdown';
const handlerOptionsSchema = z.strictObject({
  priority: z.number().default(DEFAULT_HANDLER_PRIORITY),
  timeoutMs: z.number().int().min(1).max(3_600_000).optional(),
});

/**
 * Coordinates a graceful shutdown through the phases InitiateShutdown, StopAcceptingRequests,
 * FinishActiveRequests, SaveState, CleanupResources and Terminated, each with its own deadline and one overall
 * deadline, then flushes telemetry. It is also the pipeline's shutdown gate: `trackActiveRequest()` counts
 * requests in flight, which draining waits for.
 */
export class GracefulShutdownManager implements ShutdownGate {
  /** The validated configuration. */
  readonly config: ShutdownConfig;
  /** Aborted when draining gives up on the requests still running (deadline or forced shutdown). */
  readonly abandonSignal: AbortSignal;
  private readonly progress = new ShutdownProgress();
  private readonly handlers = new Map<string, RegisteredHandler>();
  private readonly checkpoints = new Map<string, ShutdownCheckpoint>();
  private readonly checkpointRecords: CheckpointRecord[] = [];
  private readonly handlerResults: HandlerResult[] = [];
  private readonly phaseReports: PhaseReport[] = [];
  private readonly abandonController = new AbortController();
  private readonly forceController = new AbortController();
  private readonly phaseListeners = new Set<(phase: ShutdownPhase) => void>();
  private readonly tracer = getTracer();
  private readonly clock: ShutdownClock;
  private readonly logger: OperationLogger | undefined;
  private readonly exitProcess: (code: number) => void;
  private readonly events: ProcessEvents;
  private readonly store: CheckpointStore | undefined;
  private readonly gauge: ShutdownPhaseGauge;
  private seq = 0;
  private running: Promise<ShutdownReport> | undefined;
  private reason = '';
  private finished = false;
  private phaseSpan: Span | undefined;
  private exitScheduled = false;
  private exitWithError = false;
  private signalListeners: ProcessListeners | undefined;
  private errorListeners: ProcessListeners | undefined;

  constructor(config: ShutdownConfigInput = {}, options: GracefulShutdownOptions = {}) {
    this.config = parseSection(shutdownConfigSchema, config, 'shutdown');
    this.abandonSignal = this.abandonController.signal;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
    this.exitProcess = options.exit ?? ((code) => process.exit(code));
    this.events = options.processEvents ?? (process as unknown as ProcessEvents);
    this.store = options.checkpointStore ?? (this.config.checkpointDir ? new FileCheckpointStore(this.config.checkpointDir) : undefined);
    this.gauge = new ShutdownPhaseGauge(() => this.progress.phase);
  }

  /** True once new operations are refused (from StopAcceptingRequests on). */
  isShuttingDown(): boolean {
    return !this.progress.accepting;
  }

  /** False from InitiateShutdown on: `/readyz` should answer 503 while requests are still served. */
  isReady(): boolean {
    return this.progress.ready;
  }

  /** True once a shutdown has started, forced or not. */
  isShutdownInitiated(): boolean {
    return this.running !== undefined;
  }

  /** The current phase. */
  getPhase(): ShutdownPhase {
    return this.progress.phase;
  }

  /** Counts one request in flight until the guard is released; throws SHUTTING_DOWN when not accepting. */
  trackActiveRequest(): Guard {
    return this.progress.track();
  }

  /**
   * Registers `handler` under a unique `name` (also the checkpoint's component name). Lower `priority` runs
   * first in every phase; equal priorities run concurrently. Throws INVALID_CONFIG on a duplicate name or bad
   * option.
   */
  registerHandler(name: string, handler: ShutdownHandler, options: HandlerOptions = {}): void {
    const path = `shutdown.handlers.${name}`;
    if (typeof name !== 'string' || name.length === 0 || name.length > 200) throw new InvalidConfigError('shutdown.handlers', 'name must be a string of 1 to 200 characters');
    if (this.handlers.has(name)) throw new InvalidConfigError(path, 'a handler with this name is already registered');
    if (this.handlers.size >= MAX_HANDLERS) throw new InvalidConfigError(path, `at most ${MAX_HANDLERS} handlers`);
    if (typeof handler !== 'object' || handler === null) throw new InvalidConfigError(path, 'handler must be an object');
    const parsed = parseSection(handlerOptionsSchema, options, path);
    this.handlers.set(name, { name, handler, priority: parsed.priority, timeoutMs: parsed.timeoutMs ?? this.config.handlerTimeoutMs, seq: this.seq++ });
  }

  /** Removes a handler; true when it was registered. */
  unregisterHandler(name: string): boolean {
    return this.handlers.delete(name);
  }

  /** Calls `listener` on every phase transition; returns the unsubscribe function. */
  onPhaseChange(listener: (phase: ShutdownPhase) => void): () => void {
    this.phaseListeners.add(listener);
    return () => this.phaseListeners.delete(listener);
  }

  /** Starts the graceful shutdown, or returns the one already under way (the same promise). Never rejects. */
  initiateShutdown(reason = 'manual'): Promise<ShutdownReport> {
    if (this.running === undefined) {
      this.reason = reason;
      this.running = this.run();
    }
    return this.running;
  }

  /**
   * Skips what remains: stops admitting, abandons requests in flight (their signals fire), cuts the current
   * phase short, still runs the bounded telemetry flush, and reports with `forced: true`.
   */
  forceShutdown(reason = 'forced'): Promise<ShutdownReport> {
    if (this.running === undefined) this.reason = reason;
    this.forceNow(reason);
    return this.initiateShutdown(reason);
  }

  /**
   * Listens for `config.signals`: the first starts a graceful shutdown, the next forces it. With
   * `config.exitProcess` the process then exits with 0 (clean) or `config.forcedExitCode`. Idempotent;
   * returns the function that removes the listeners.
   */
  setupSignalHandlers(): () => void {
    if (this.signalListeners === undefined) {
      const listeners = new ProcessListeners(this.events);
      for (const signal of this.config.signals) listeners.add(signal, () => this.onSignal(signal));
      this.signalListeners = listeners;
    }
    return () => this.removeSignalHandlers();
  }

  /** Removes the signal listeners (the signals get Node's default behaviour back). */
  removeSignalHandlers(): void {
    this.signalListeners?.removeAll();
    this.signalListeners = undefined;
  }

  /**
   * Logs and counts uncaught exceptions and unhandled rejections instead of letting them end the process;
   * with `config.shutdownOnUncaughtError` one starts a shutdown that exits with `forcedExitCode`. Idempotent;
   * returns the uninstall function.
   */
  installUncaughtErrorHandlers(): () => void {
    if (this.errorListeners === undefined) {
      const listeners = new ProcessListeners(this.events);
      listeners.add('uncaughtException', ((error: unknown) => this.onUncaught(error, 'uncaughtException')) as ProcessListener);
      listeners.add('unhandledRejection', ((reason: unknown) => this.onUncaught(reason, 'unhandledRejection')) as ProcessListener);
      this.errorListeners = listeners;
    }
    return () => this.uninstallUncaughtErrorHandlers();
  }

  /** Removes the uncaught-error listeners. */
  uninstallUncaughtErrorHandlers(): void {
    this.errorListeners?.removeAll();
    this.errorListeners = undefined;
  }

  /** Plain JSON snapshot of the shutdown state. */
  getShutdownProgress(): ShutdownProgressSnapshot {
    const p = this.progress;
    const started = p.startedAt > 0;
    return {
      phase: p.phase,
      ready: p.ready,
      shutting_down: !p.accepting,
      forced: p.forced,
      reason: started ? this.reason : null,
      started_at: started ? new Date(p.startedAt).toISOString() : null,
      elapsed_ms: started ? this.clock.now() - p.startedAt : 0,
      active_requests: p.active,
      accepted_requests: p.accepted,
      rejected_requests: p.rejected,
      drained_requests: p.drained,
      abandoned_requests: p.abandoned,
      handlers_registered: this.handlers.size,
      handlers_run: p.handlersRun,
      handlers_failed: p.handlersFailed,
      handlers_timed_out: p.handlersTimedOut,
      checkpoints_saved: p.checkpointsSaved,
      uncaught_errors: p.uncaughtErrors,
    };
  }

  /** The checkpoints taken during this process's SaveState, one per component. */
  getCheckpoints(): readonly ShutdownCheckpoint[] {
    return [...this.checkpoints.values()];
  }

  /**
   * The component's latest checkpoint from the store (at start-up: what the previous process saved), or
   * undefined when there is none, no store is configured, or it cannot be read (logged).
   */
  async loadLatestCheckpoint<S = unknown>(component: string): Promise<ShutdownCheckpoint<S> | undefined> {
    if (this.store === undefined) return undefined;
    try {
      return (await this.store.loadLatest(component)) as ShutdownCheckpoint<S> | undefined;
    } catch (error) {
      this.log('error', 'load_checkpoint', `Checkpoint of ${component} could not be read`, { component, ...describeError(error) });
      return undefined;
    }
  }

  /** Removes every process listener and stops reporting the phase gauge. */
  dispose(): void {
    this.removeSignalHandlers();
    this.uninstallUncaughtErrorHandlers();
    this.gauge.dispose();
    this.phaseListeners.clear();
  }

  private async run(): Promise<ShutdownReport> {
    const p = this.progress;
    const cfg = this.config;
    p.startedAt = this.clock.now();
    p.ready = false;
    const overall = this.clock.setTimeout(() => this.forceNow('deadline'), cfg.gracefulTimeoutMs);
    const span = this.tracer.startSpan(SHUTDOWN_SPAN_NAME, { attributes: { [SHUTDOWN_ATTR.reason]: this.reason } });
    const parent = trace.setSpan(context.active(), span);
    this.log('warn', 'initiate', `Graceful shutdown initiated (${this.reason})`, { reason: this.reason, active_requests: p.active });
    try {
      await this.phase(parent, ShutdownPhase.InitiateShutdown, cfg.preStopDelayMs + cfg.stopAcceptingTimeoutMs, (s) => this.initiatePhase(s));
      await this.phase(parent, ShutdownPhase.StopAcceptingRequests, cfg.stopAcceptingTimeoutMs, (s) => this.stopAcceptingPhase(s));
      await this.phase(parent, ShutdownPhase.FinishActiveRequests, cfg.drainTimeoutMs, (s) => this.drainPhase(s));
      await this.phase(parent, ShutdownPhase.SaveState, cfg.saveStateTimeoutMs, (s) => this.runStep('saveState', s));
      await this.phase(parent, ShutdownPhase.CleanupResources, cfg.cleanupTimeoutMs, (s) => this.runStep('cleanup', s));
    } catch (error) {
      // Only a defect in this class lands here; the process must still get its flush and report.
      span.recordException(error as Error);
      this.log('critical', 'shutdown', 'Shutdown sequence failed', describeError(error));
      this.forceNow('internal error');
    } finally {
      this.clock.clearTimeout(overall);
    }
    p.accepting = false;
    this.enter(ShutdownPhase.Terminated);
    const finishedAt = this.clock.now();
    span.setAttributes({
      [SHUTDOWN_ATTR.forced]: p.forced,
      [SHUTDOWN_ATTR.requestsDrained]: p.drained,
      [SHUTDOWN_ATTR.requestsAbandoned]: p.abandoned,
    });
    if (p.forced) span.setStatus({ code: SpanStatusCode.ERROR, message: 'shutdown forced' });
    this.log(p.forced ? 'error' : 'info', 'terminated', `Shutdown ${p.forced ? 'forced' : 'complete'} after ${finishedAt - p.startedAt} ms`, {
      reason: this.reason,
      forced: p.forced,
      requests_drained: p.drained,
      requests_abandoned: p.abandoned,
      handlers_failed: p.handlersFailed,
      handlers_timed_out: p.handlersTimedOut,
      checkpoints_saved: p.checkpointsSaved,
    });
    span.end();
    // Last: flush telemetry, after the shutdown span and the final log record exist.
    const flushed = await this.finalizeStep();
    this.finished = true;
    return {
      reason: this.reason,
      forced: p.forced,
      finalPhase: p.phase,
      startedAt: p.startedAt,
      finishedAt,
      durationMs: finishedAt - p.startedAt,
      phases: this.phaseReports.slice(),
      requestsDrained: p.drained,
      requestsAbandoned: p.abandoned,
      requestsRejected: p.rejected,
      handlersRun: p.handlersRun,
      handlersFailed: p.handlersFailed,
      handlersTimedOut: p.handlersTimedOut,
      handlers: this.handlerResults.slice(),
      checkpointsSaved: p.checkpointsSaved,
      checkpoints: this.checkpointRecords.slice(),
      telemetryFlushed: flushed,
    };
  }

  private async phase(parent: Context, phase: WorkingPhase, timeoutMs: number, body: (signal: AbortSignal) => Promise<PhaseOutcome>): Promise<void> {
    if (this.progress.forced) {
      this.phaseReports.push({ phase, startedAt: 0, durationMs: 0, outcome: 'skipped' });
      return;
    }
    this.enter(phase);
    const startedAt = this.clock.now();
    const span = this.tracer.startSpan(`${SHUTDOWN_SPAN_NAME}.${phase}`, { attributes: { [ATTR.phase]: phase } }, parent);
    this.phaseSpan = span;
    const deadline = new Deadline(this.clock, timeoutMs, `shutdown phase ${phase}`, this.forceController.signal);
    let outcome: PhaseOutcome;
    try {
      outcome = await context.with(trace.setSpan(parent, span), body, this, deadline.signal);
    } finally {
      deadline.dispose();
    }
    if (deadline.signal.aborted) outcome = deadline.signal.reason instanceof TimeoutError ? 'timed_out' : 'forced';
    const durationMs = this.clock.now() - startedAt;
    span.setAttribute(SHUTDOWN_ATTR.outcome, outcome);
    if (outcome === 'timed_out' || outcome === 'forced') span.setStatus({ code: SpanStatusCode.ERROR, message: `phase ${outcome}` });
    span.end();
    this.phaseSpan = undefined;
    this.phaseReports.push({ phase, startedAt, durationMs, outcome });
    if (outcome !== 'completed') this.log('warn', phase, `Shutdown phase ${phase} ${outcome}`, { phase, outcome, duration_ms: durationMs });
  }

  private async initiatePhase(signal: AbortSignal): Promise<PhaseOutcome> {
    const waitMs = this.config.preStopDelayMs - (this.clock.now() - this.progress.startedAt);
    const [outcome] = await Promise.all([this.runStep('initiate', signal), delay(this.clock, waitMs, signal)]);
    return outcome;
  }

  private stopAcceptingPhase(signal: AbortSignal): Promise<PhaseOutcome> {
    const p = this.progress;
    p.accepting = false;
    p.inFlightAtStop = p.active;
    this.log('info', ShutdownPhase.StopAcceptingRequests, `Refusing new requests; ${p.active} in flight`, { active_requests: p.active });
    return this.runStep('stopAccepting', signal);
  }

  private async drainPhase(signal: AbortSignal): Promise<PhaseOutcome> {
    const drained = await this.progress.waitForDrain(signal);
    if (!drained) {
      this.abandonInFlight(signal.reason instanceof TimeoutError ? 'drain deadline passed' : 'shutdown forced');
      return 'timed_out';
    }
    this.progress.drained = this.progress.inFlightAtStop;
    return 'completed';
  }

  /** Runs `step` of every handler that has it, priority group by priority group. */
  private async runStep(step: HandlerStep, signal: AbortSignal): Promise<PhaseOutcome> {
    let clean = true;
    for (const group of priorityGroups(this.handlers.values(), step)) {
      if (signal.aborted) {
        for (const h of group) this.handlerResults.push({ name: h.name, step, outcome: 'skipped', durationMs: 0 });
        clean = false;
        continue;
      }
      const outcomes = await Promise.all(group.map((h) => this.runHandler(h, step, signal)));
      if (outcomes.some((o) => o !== 'completed')) clean = false;
    }
    return clean ? 'completed' : 'completed_with_errors';
  }

  private async runHandler(h: RegisteredHandler, step: HandlerStep, parentSignal: AbortSignal, timeoutMs = h.timeoutMs): Promise<HandlerOutcome> {
    const deadline = new Deadline(this.clock, timeoutMs, `shutdown handler ${h.name}.${step}`, parentSignal);
    const start = this.clock.now();
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
      settled.status === 'ok' ? 'completed' : settled.status === 'error' ? 'failed' : deadline.signal.reason instanceof TimeoutError ? 'timed_out' : 'aborted';
    const durationMs = this.clock.now() - start;
    const p = this.progress;
    p.handlersRun++;
    if (outcome === 'failed') p.handlersFailed++;
    else if (outcome === 'timed_out') p.handlersTimedOut++;
    const error = settled.status === 'error' ? describeError(settled.error) : undefined;
    this.handlerResults.push({ name: h.name, step, outcome, durationMs, ...(error ? { error: String(error['exception.message']) } : {}) });
    if (outcome !== 'completed') {
      this.phaseSpan?.addEvent('handler.' + outcome, { [SHUTDOWN_ATTR.handler]: h.name, [SHUTDOWN_ATTR.step]: step });
      this.log(outcome === 'failed' ? 'error' : 'warn', step, `Shutdown handler ${h.name} ${step} ${outcome}`, { handler: h.name, step, outcome, duration_ms: durationMs, ...error });
    }
    return outcome;
  }

  /** Takes one handler's state and checkpoints it, within that handler's step deadline. */
  private async saveState(h: RegisteredHandler, signal: AbortSignal): Promise<void> {
    const state: unknown = await h.handler.saveState!(signal);
    // A late answer after the deadline was already reported as timed out; saving it now would contradict that.
    if (state === undefined || signal.aborted) return;
    const now = this.clock.now();
    const checkpoint: ShutdownCheckpoint = { version: 1, component: h.name, timestamp: new Date(now).toISOString(), timestampMs: now, state };
    if (this.store !== undefined) await this.store.save(checkpoint);
    if (signal.aborted) return;
    this.checkpoints.set(h.name, checkpoint);
    this.checkpointRecords.push({ component: h.name, timestamp: checkpoint.timestamp, persisted: this.store !== undefined });
    this.progress.checkpointsSaved++;
  }

  /** The `finalize` steps (telemetry flush), bounded by `telemetryFlushTimeoutMs` even when forced. */
  private async finalizeStep(): Promise<boolean> {
    const bound = new Deadline(this.clock, this.config.telemetryFlushTimeoutMs, 'telemetry flush');
    let flushed = true;
    try {
      for (const group of priorityGroups(this.handlers.values(), 'finalize')) {
        const outcomes = await Promise.all(group.map((h) => this.runHandler(h, 'finalize', bound.signal, Math.min(h.timeoutMs, this.config.telemetryFlushTimeoutMs))));
        if (outcomes.some((o) => o !== 'completed')) flushed = false;
      }
    } finally {
      bound.dispose();
    }
    return flushed;
  }

  private enter(phase: ShutdownPhase): void {
    this.progress.phase = phase;
    this.log('info', phase, `Shutdown phase: ${phase}`, { phase });
    for (const listener of this.phaseListeners) {
      try {
        listener(phase);
      } catch (error) {
        this.log('error', phase, 'Shutdown phase listener threw', describeError(error));
      }
    }
  }

  private forceNow(reason: string): void {
    const p = this.progress;
    if (p.forced || this.finished) return;
    p.forced = true;
    p.ready = false;
    if (p.accepting) {
      p.accepting = false;
      p.inFlightAtStop = p.active;
    }
    this.log('error', 'force', `Forcing shutdown (${reason}) with ${p.active} requests in flight`, { reason, active_requests: p.active });
    this.abandonInFlight(`shutdown forced (${reason})`);
    this.forceController.abort(new ShuttingDownError(`Shutdown forced (${reason})`));
  }

  /** Gives up on the requests still running: counts them as abandoned and fires their signals. */
  private abandonInFlight(why: string): void {
    if (this.abandonController.signal.aborted) return;
    const p = this.progress;
    p.abandoned = p.active;
    p.drained = Math.max(0, p.inFlightAtStop - p.active);
    if (p.active > 0) this.log('warn', ShutdownPhase.FinishActiveRequests, `Abandoning ${p.active} requests: ${why}`, { requests_abandoned: p.active });
    this.abandonController.abort(new ShuttingDownError(`Request abandoned: ${why}`));
  }

  private onSignal(signal: string): void {
    if (this.running === undefined) {
      this.log('warn', 'signal', `Received ${signal}: shutting down gracefully`, { signal });
      void this.initiateShutdown(signal);
    } else {
      this.log('error', 'signal', `Received ${signal} during shutdown: forcing`, { signal });
      void this.forceShutdown(`second ${signal}`);
    }
    this.scheduleExit();
  }

  private onUncaught(error: unknown, kind: 'uncaughtException' | 'unhandledRejection'): void {
    this.progress.uncaughtErrors++;
    this.log('critical', kind, `${kind}: ${error instanceof Error ? error.message : String(error)}`, describeError(error));
    if (!this.config.shutdownOnUncaughtError) return;
    this.exitWithError = true;
    void this.initiateShutdown(kind);
    this.scheduleExit();
  }

  /** After a signal (or an uncaught error) the process exits once the shutdown settles, unless configured not to. */
  private scheduleExit(): void {
    if (this.exitScheduled || !this.config.exitProcess || this.running === undefined) return;
    this.exitScheduled = true;
    void this.running.then((report) => this.exitProcess(report.forced || this.exitWithError ? this.config.forcedExitCode : 0));
  }

  private log(level: LogLevel, operation: string, message: string, metadata?: Record<string, unknown>): void {
    if (this.logger === undefined) return;
    try {
      this.logger.log(level, COMPONENT, operation, message, metadata);
    } catch {
      // A broken logger must not break the shutdown (or loop through the uncaught-error handler).
    }
  }
}
