import { SpanStatusCode, context, trace, type Context } from '@opentelemetry/api';
import { z } from 'zod';
import { parseSection } from '../internal/validation.js';
import { InvalidConfigError, ShuttingDownError, TimeoutError } from '../errors.js';
import type { Guard } from '../guard.js';
import type { LogLevel, OperationLogger, ShutdownGate } from '../pipeline.js';
import { getTracer } from '../telemetry/api.js';
import { ATTR } from '../telemetry/names.js';
import { FileCheckpointStore, type CheckpointStore, type ShutdownCheckpoint } from './checkpoint.js';
import { awaitedTimers, Deadline, sleepUnlessAborted, systemClock, type Clock } from '../internal/time.js';
import { shutdownConfigSchema, type ShutdownConfig } from './config.js';
import { DEFAULT_HANDLER_PRIORITY, type HandlerOptions, type RegisteredHandler, type ShutdownHandler } from './handler.js';
import type { GracefulShutdownOptions, ShutdownConfigInput } from './options.js';
import { ShutdownPhase, type WorkingPhase } from './phases.js';
import { describeError, ProcessListeners, type ProcessEvents, type ProcessListener } from './process-hooks.js';
import { ShutdownProgress, type ShutdownProgressSnapshot } from './progress.js';
import { buildReport, type PhaseOutcome, type PhaseReport, type ShutdownReport } from './report.js';
import { HandlerRunner } from './steps.js';
import { reportInternalError } from '../telemetry/internal-errors.js';
import { SHUTDOWN_ATTR, SHUTDOWN_SPAN_NAME, ShutdownPhaseGauge } from './telemetry.js';

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
  private readonly phaseReports: PhaseReport[] = [];
  private readonly abandonController = new AbortController();
  private readonly forceController = new AbortController();
  private readonly phaseListeners = new Set<(phase: ShutdownPhase) => void>();
  private readonly tracer = getTracer();
  private readonly clock: Clock;
  private readonly logger: OperationLogger | undefined;
  private readonly exitProcess: (code: number) => void;
  private readonly events: ProcessEvents;
  private readonly store: CheckpointStore | undefined;
  private readonly gauge: ShutdownPhaseGauge;
  private readonly runner: HandlerRunner;
  private seq = 0;
  private running: Promise<ShutdownReport> | undefined;
  private reason = '';
  private finished = false;
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
    this.runner = new HandlerRunner(this.handlers, this.progress, this.clock, this.store, (level, op, msg, meta) => this.log(level, op, msg, meta));
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
    return this.progress.snapshot(this.reason, this.handlers.size, this.clock.wall());
  }

  /** The checkpoints taken during this process's SaveState, one per component. */
  getCheckpoints(): readonly ShutdownCheckpoint[] {
    return [...this.runner.checkpoints.values()];
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
    p.startedAt = this.clock.wall();
    p.ready = false;
    // Ref'd: the process must not end in the middle of its own shutdown.
    const overall = awaitedTimers.setTimeout(() => this.forceNow('deadline'), cfg.gracefulTimeoutMs);
    const span = this.tracer.startSpan(SHUTDOWN_SPAN_NAME, { attributes: { [SHUTDOWN_ATTR.reason]: this.reason } });
    const parent = trace.setSpan(context.active(), span);
    this.log('warn', 'initiate', `Graceful shutdown initiated (${this.reason})`, { reason: this.reason, active_requests: p.active });
    try {
      await this.phase(parent, ShutdownPhase.InitiateShutdown, cfg.preStopDelayMs + cfg.stopAcceptingTimeoutMs, (s) => this.initiatePhase(s));
      await this.phase(parent, ShutdownPhase.StopAcceptingRequests, cfg.stopAcceptingTimeoutMs, (s) => this.stopAcceptingPhase(s));
      await this.phase(parent, ShutdownPhase.FinishActiveRequests, cfg.drainTimeoutMs, (s) => this.drainPhase(s));
      await this.phase(parent, ShutdownPhase.SaveState, cfg.saveStateTimeoutMs, (s) => this.runner.run('saveState', s));
      await this.phase(parent, ShutdownPhase.CleanupResources, cfg.cleanupTimeoutMs, (s) => this.runner.run('cleanup', s));
    } catch (error) {
      // Only a defect in this class lands here; the process must still get its flush and report.
      span.recordException(error as Error);
      this.log('critical', 'shutdown', 'Shutdown sequence failed', describeError(error));
      this.forceNow('internal error');
    } finally {
      awaitedTimers.clearTimeout(overall);
    }
    p.accepting = false;
    this.enter(ShutdownPhase.Terminated);
    const finishedAt = this.clock.wall();
    span.setAttributes({ [SHUTDOWN_ATTR.forced]: p.forced, [SHUTDOWN_ATTR.requestsDrained]: p.drained, [SHUTDOWN_ATTR.requestsAbandoned]: p.abandoned });
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
    return buildReport(this.reason, p, finishedAt, this.phaseReports, this.runner, flushed);
  }

  private async phase(parent: Context, phase: WorkingPhase, timeoutMs: number, body: (signal: AbortSignal) => Promise<PhaseOutcome>): Promise<void> {
    if (this.progress.forced) {
      this.phaseReports.push({ phase, startedAt: 0, durationMs: 0, outcome: 'skipped' });
      return;
    }
    this.enter(phase);
    const startedAt = this.clock.wall();
    const span = this.tracer.startSpan(`${SHUTDOWN_SPAN_NAME}.${phase}`, { attributes: { [ATTR.phase]: phase } }, parent);
    this.runner.span = span;
    const deadline = new Deadline(timeoutMs, `shutdown phase ${phase}`, this.forceController.signal);
    let outcome: PhaseOutcome;
    try {
      outcome = await context.with(trace.setSpan(parent, span), body, this, deadline.signal);
    } finally {
      deadline.dispose();
    }
    if (deadline.signal.aborted) outcome = deadline.signal.reason instanceof TimeoutError ? 'timed_out' : 'forced';
    const durationMs = this.clock.wall() - startedAt;
    span.setAttribute(SHUTDOWN_ATTR.outcome, outcome);
    if (outcome === 'timed_out' || outcome === 'forced') span.setStatus({ code: SpanStatusCode.ERROR, message: `phase ${outcome}` });
    span.end();
    this.runner.span = undefined;
    this.phaseReports.push({ phase, startedAt, durationMs, outcome });
    if (outcome !== 'completed') this.log('warn', phase, `Shutdown phase ${phase} ${outcome}`, { phase, outcome, duration_ms: durationMs });
  }

  private async initiatePhase(signal: AbortSignal): Promise<PhaseOutcome> {
    const waitMs = this.config.preStopDelayMs - (this.clock.wall() - this.progress.startedAt);
    const [outcome] = await Promise.all([this.runner.run('initiate', signal), sleepUnlessAborted(waitMs, signal)]);
    return outcome;
  }

  private stopAcceptingPhase(signal: AbortSignal): Promise<PhaseOutcome> {
    const p = this.progress;
    p.accepting = false;
    p.inFlightAtStop = p.active;
    this.log('info', ShutdownPhase.StopAcceptingRequests, `Refusing new requests; ${p.active} in flight`, { active_requests: p.active });
    return this.runner.run('stopAccepting', signal);
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

  /** The `finalize` steps (telemetry flush), bounded by `telemetryFlushTimeoutMs` even when forced. */
  private async finalizeStep(): Promise<boolean> {
    const limit = this.config.telemetryFlushTimeoutMs;
    const bound = new Deadline(limit, 'telemetry flush');
    try {
      return (await this.runner.run('finalize', bound.signal, limit)) === 'completed';
    } finally {
      bound.dispose();
    }
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
    this.running
      .then((report) => this.exitProcess(report.forced || this.exitWithError ? this.config.forcedExitCode : 0))
      .catch((error: unknown) => reportInternalError('shutdown', error));
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
