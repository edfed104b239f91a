import { setMaxListeners } from 'node:events';
import { SpanStatusCode, context, trace, type Context } from '@opentelemetry/api';
import { ShuttingDownError, TimeoutError } from '../errors.js';
import type { Guard } from '../guard.js';
import { EventEmitter } from '../internal/event.js';
import { awaitedTimers, Deadline, sleepUnlessAborted, systemClock, type Clock } from '../internal/time.js';
import { parseSection } from '../internal/validation.js';
import type { LogLevel, OperationLogger, ShutdownGate } from '../pipeline.js';
import { getTracer } from '../telemetry/api.js';
import { ATTR } from '../telemetry/names.js';
import { FileCheckpointStore, type CheckpointStore, type ShutdownCheckpoint } from './checkpoint.js';
import { shutdownConfigSchema, type ShutdownConfig } from './config.js';
import type { HandlerOptions, ShutdownHandler } from './handler.js';
import type { GracefulShutdownOptions, ShutdownConfigInput } from './options.js';
import { ShutdownPhase, type WorkingPhase } from './phases.js';
import { describeError, ProcessHooks } from './process-hooks.js';
import { ShutdownProgress } from './progress.js';
import type { ShutdownProgressSnapshot } from './snapshot.js';
import { HandlerRegistry } from './registry.js';
import { buildReport, type PhaseOutcome, type PhaseReport, type ShutdownReport } from './report.js';
import { HandlerRunner } from './steps.js';
import { SHUTDOWN_ATTR, SHUTDOWN_SPAN_NAME, ShutdownPhaseGauge } from './telemetry.js';

const COMPONENT = 'shutdown';

/**
 * Coordinates a graceful shutdown through the phases InitiateShutdown, StopAcceptingRequests,
 * FinishActiveRequests, SaveState, CleanupResources and Terminated, each with its own deadline and one overall
 * deadline, then flushes telemetry. It is also the pipeline's shutdown gate: `trackActiveRequest()` counts
 * requests in flight, which draining waits for. The phase sequence is here; the handlers live in a
 * `HandlerRegistry`, the state in a `ShutdownProgress`, the ties to the process in `ProcessHooks`.
 */
export class GracefulShutdownManager implements ShutdownGate {
  /** The validated configuration. */
  readonly config: ShutdownConfig;
  /** Aborted when draining gives up on the requests still running (deadline or forced shutdown). */
  readonly abandonSignal: AbortSignal;
  private readonly progress = new ShutdownProgress();
  private readonly handlers: HandlerRegistry;
  private readonly phaseReports: PhaseReport[] = [];
  private readonly abandonController = new AbortController();
  private readonly forceController = new AbortController();
  private readonly phaseChanges = new EventEmitter<ShutdownPhase>((error) =>
    this.log('error', this.progress.phase, 'Shutdown phase listener threw', describeError(error)),
  );
  private readonly tracer = getTracer();
  private readonly clock: Clock;
  private readonly logger: OperationLogger | undefined;
  private readonly store: CheckpointStore | undefined;
  private readonly gauge: ShutdownPhaseGauge;
  private readonly runner: HandlerRunner;
  private readonly hooks: ProcessHooks;
  private running: Promise<ShutdownReport> | undefined;
  private finished = false;

  constructor(config: ShutdownConfigInput = {}, options: GracefulShutdownOptions = {}) {
    this.config = parseSection(shutdownConfigSchema, config, 'shutdown');
    this.abandonSignal = this.abandonController.signal;
    // Every attempt in flight that reads ctx.signal listens here (and leaves when it settles): many at once is
    // normal under load, not a leak, so Node's warning past 10 listeners would only be noise.
    setMaxListeners(0, this.abandonSignal);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
    this.store = options.checkpointStore ?? (this.config.checkpointDir ? new FileCheckpointStore(this.config.checkpointDir) : undefined);
    this.handlers = new HandlerRegistry(this.config.handlerTimeoutMs);
    this.gauge = new ShutdownPhaseGauge(() => this.progress.phase);
    this.runner = new HandlerRunner(this.handlers, this.progress, this.clock, this.store, (level, op, msg, meta) =>
      this.log(level, op, msg, meta),
    );
    this.hooks = new ProcessHooks(
      this.config,
      {
        running: () => this.running,
        initiate: (reason) => this.initiateShutdown(reason),
        force: (reason) => this.forceShutdown(reason),
        uncaughtError: () => this.progress.recordUncaughtError(),
        log: (level, op, msg, meta) => this.log(level, op, msg, meta),
      },
      options.processEvents ?? process,
      options.exit ?? ((code) => process.exit(code)),
    );
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
    this.handlers.register(name, handler, options);
  }

  /** Removes a handler; true when it was registered. */
  unregisterHandler(name: string): boolean {
    return this.handlers.unregister(name);
  }

  /** Calls `listener` on every phase transition; releasing the guard unsubscribes. A listener that throws is logged. */
  onPhaseChange(listener: (phase: ShutdownPhase) => void): Guard {
    return this.phaseChanges.subscribe(listener);
  }

  /** Starts the graceful shutdown, or returns the one already under way (the same promise). Never rejects. */
  initiateShutdown(reason = 'manual'): Promise<ShutdownReport> {
    this.running ??= this.run(reason);
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
   * releasing the returned guard removes the listeners.
   */
  setupSignalHandlers(): Guard {
    return this.hooks.setupSignalHandlers();
  }

  /** Removes the signal listeners (the signals get Node's default behaviour back). */
  removeSignalHandlers(): void {
    this.hooks.removeSignalHandlers();
  }

  /**
   * Logs and counts uncaught exceptions and unhandled rejections instead of letting them end the process;
   * with `config.shutdownOnUncaughtError` one starts a shutdown that exits with `forcedExitCode`. Idempotent;
   * releasing the returned guard removes the listeners.
   */
  installUncaughtErrorHandlers(): Guard {
    return this.hooks.installUncaughtErrorHandlers();
  }

  /** Removes the uncaught-error listeners. */
  uninstallUncaughtErrorHandlers(): void {
    this.hooks.uninstallUncaughtErrorHandlers();
  }

  /** Plain JSON snapshot of the shutdown state. */
  getShutdownProgress(): ShutdownProgressSnapshot {
    return this.progress.snapshot(this.handlers.size, this.clock.wall());
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
    this.hooks.dispose();
    this.gauge.dispose();
    this.phaseChanges.clear();
  }

  private async run(reason: string): Promise<ShutdownReport> {
    const p = this.progress;
    const cfg = this.config;
    p.begin(reason, this.clock.wall());
    // Ref'd: the process must not end in the middle of its own shutdown.
    const overall = awaitedTimers.setTimeout(() => this.forceNow('deadline'), cfg.gracefulTimeoutMs);
    const span = this.tracer.startSpan(SHUTDOWN_SPAN_NAME, { attributes: { [SHUTDOWN_ATTR.reason]: reason } });
    const parent = trace.setSpan(context.active(), span);
    this.log('warn', 'initiate', `Graceful shutdown initiated (${reason})`, { reason, active_requests: p.activeRequests });
    try {
      await this.phase(parent, ShutdownPhase.InitiateShutdown, cfg.preStopDelayMs + cfg.stopAcceptingTimeoutMs, (s) =>
        this.initiatePhase(s),
      );
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
    const finishedAt = this.clock.wall();
    p.terminate(finishedAt);
    this.enter(ShutdownPhase.Terminated);
    const { drained, abandoned } = p.drainCounts;
    span.setAttributes({
      [SHUTDOWN_ATTR.forced]: p.forced,
      [SHUTDOWN_ATTR.requestsDrained]: drained,
      [SHUTDOWN_ATTR.requestsAbandoned]: abandoned,
    });
    if (p.forced) span.setStatus({ code: SpanStatusCode.ERROR, message: 'shutdown forced' });
    const tallies = p.tallies;
    this.log(
      p.forced ? 'error' : 'info',
      'terminated',
      `Shutdown ${p.forced ? 'forced' : 'complete'} after ${finishedAt - p.startedAt} ms`,
      {
        reason,
        forced: p.forced,
        requests_drained: drained,
        requests_abandoned: abandoned,
        handlers_failed: tallies.handlersFailed,
        handlers_timed_out: tallies.handlersTimedOut,
        checkpoints_saved: tallies.checkpointsSaved,
        ...(this.store === undefined ? { checkpoints: 'not saved (no checkpoint directory or store configured)' } : {}),
      },
    );
    span.end();
    // Last: flush telemetry, after the shutdown span and the final log record exist.
    const flushed = await this.finalizeStep();
    this.finished = true;
    return buildReport(reason, p, finishedAt, this.phaseReports, this.runner, flushed);
  }

  private async phase(
    parent: Context,
    phase: WorkingPhase,
    timeoutMs: number,
    body: (signal: AbortSignal) => Promise<PhaseOutcome>,
  ): Promise<void> {
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
    if (deadline.signal.aborted) outcome = deadline.timedOut ? 'timed_out' : 'forced';
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
    p.stopAccepting();
    this.log('info', ShutdownPhase.StopAcceptingRequests, `Refusing new requests; ${p.activeRequests} in flight`, {
      active_requests: p.activeRequests,
    });
    return this.runner.run('stopAccepting', signal);
  }

  private async drainPhase(signal: AbortSignal): Promise<PhaseOutcome> {
    if (await this.progress.waitForDrain(signal)) {
      this.progress.endDrain();
      return 'completed';
    }
    this.abandonInFlight(signal.reason instanceof TimeoutError ? 'drain deadline passed' : 'shutdown forced');
    return 'timed_out';
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
    this.progress.enter(phase);
    this.log('info', phase, `Shutdown phase: ${phase}`, { phase });
    this.phaseChanges.emit(phase);
  }

  private forceNow(reason: string): void {
    const p = this.progress;
    if (p.forced || this.finished) return;
    p.force(reason, this.clock.wall());
    this.log('error', 'force', `Forcing shutdown (${reason}) with ${p.activeRequests} requests in flight`, {
      reason,
      active_requests: p.activeRequests,
    });
    this.abandonInFlight(`shutdown forced (${reason})`);
    this.forceController.abort(new ShuttingDownError(`Shutdown forced (${reason})`));
  }

  /** Gives up on the requests still running: counts them as abandoned and fires their signals. */
  private abandonInFlight(why: string): void {
    if (this.abandonController.signal.aborted) return;
    const { abandoned } = this.progress.endDrain();
    if (abandoned > 0)
      this.log('warn', ShutdownPhase.FinishActiveRequests, `Abandoning ${abandoned} requests: ${why}`, { requests_abandoned: abandoned });
    this.abandonController.abort(new ShuttingDownError(`Request abandoned: ${why}`));
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
