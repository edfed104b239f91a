import { createGuard, type Guard } from '../guard.js';
import type { LogLevel } from '../pipeline.js';
import { reportInternalError } from '../telemetry/internal-errors.js';
import type { ShutdownConfig } from './config.js';
import type { ShutdownReport } from './report.js';

/** A listener on a process event; arguments depend on the event. */
export type ProcessListener = (...args: unknown[]) => void;

/** The part of `process` the manager listens on; tests pass an `EventEmitter` instead of the real process. */
export interface ProcessEvents {
  on(event: string, listener: ProcessListener): unknown;
  off(event: string, listener: ProcessListener): unknown;
}

/** A set of listeners added together and removed together. */
class ProcessListeners {
  private readonly added: Array<readonly [string, ProcessListener]> = [];

  constructor(private readonly target: ProcessEvents) {}

  /** Adds `listener` for `event`. */
  add(event: string, listener: ProcessListener): void {
    this.target.on(event, listener);
    this.added.push([event, listener]);
  }

  /** Removes every listener added through this set. */
  removeAll(): void {
    for (const [event, listener] of this.added.splice(0)) this.target.off(event, listener);
  }
}

/** A readable summary of a thrown value for a log record. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    return { 'error.type': error.name, 'exception.message': error.message, 'exception.stacktrace': error.stack };
  }
  return { 'error.type': typeof error, 'exception.message': String(error) };
}

/** What the process hooks drive: the manager's shutdown. */
export interface HookedShutdown {
  /** The shutdown under way, if one started. */
  running(): Promise<ShutdownReport> | undefined;
  /** Starts a graceful shutdown (or returns the one under way). */
  initiate(reason: string): Promise<ShutdownReport>;
  /** Forces the shutdown. */
  force(reason: string): Promise<ShutdownReport>;
  /** Counts an uncaught error. */
  uncaughtError(): void;
  /** Writes a log record of the shutdown component. */
  log(level: LogLevel, operation: string, message: string, metadata?: Record<string, unknown>): void;
}

/**
 * The manager's ties to the process: signal listeners (the first signal starts a graceful shutdown, the next
 * forces it), uncaught-error listeners (logged and counted, optionally a shutdown), and the exit once a
 * shutdown they started settles (0 when clean, `forcedExitCode` when forced or after an uncaught error).
 */
export class ProcessHooks {
  private signalListeners: ProcessListeners | undefined;
  private errorListeners: ProcessListeners | undefined;
  private exitScheduled = false;
  private exitWithError = false;

  constructor(
    private readonly config: ShutdownConfig,
    private readonly shutdown: HookedShutdown,
    private readonly events: ProcessEvents,
    private readonly exitProcess: (code: number) => void,
  ) {}

  /** Listens for `config.signals` (idempotent); releasing the guard removes the listeners. */
  setupSignalHandlers(): Guard {
    if (this.signalListeners === undefined) {
      const listeners = new ProcessListeners(this.events);
      for (const signal of this.config.signals) listeners.add(signal, () => this.onSignal(signal));
      this.signalListeners = listeners;
    }
    return createGuard(() => this.removeSignalHandlers());
  }

  /** Removes the signal listeners (the signals get Node's default behaviour back). */
  removeSignalHandlers(): void {
    this.signalListeners?.removeAll();
    this.signalListeners = undefined;
  }

  /** Listens for uncaught exceptions and unhandled rejections (idempotent); releasing the guard removes the listeners. */
  installUncaughtErrorHandlers(): Guard {
    if (this.errorListeners === undefined) {
      const listeners = new ProcessListeners(this.events);
      listeners.add('uncaughtException', (error: unknown) => this.onUncaught(error, 'uncaughtException'));
      listeners.add('unhandledRejection', (reason: unknown) => this.onUncaught(reason, 'unhandledRejection'));
      this.errorListeners = listeners;
    }
    return createGuard(() => this.uninstallUncaughtErrorHandlers());
  }

  /** Removes the uncaught-error listeners. */
  uninstallUncaughtErrorHandlers(): void {
    this.errorListeners?.removeAll();
    this.errorListeners = undefined;
  }

  /** Removes every listener. */
  dispose(): void {
    this.removeSignalHandlers();
    this.uninstallUncaughtErrorHandlers();
  }

  private onSignal(signal: string): void {
    if (this.shutdown.running() === undefined) {
      this.shutdown.log('warn', 'signal', `Received ${signal}: shutting down gracefully`, { signal });
      void this.shutdown.initiate(signal);
    } else {
      this.shutdown.log('error', 'signal', `Received ${signal} during shutdown: forcing`, { signal });
      void this.shutdown.force(`second ${signal}`);
    }
    this.scheduleExit();
  }

  private onUncaught(error: unknown, kind: 'uncaughtException' | 'unhandledRejection'): void {
    this.shutdown.uncaughtError();
    this.shutdown.log('critical', kind, `${kind}: ${error instanceof Error ? error.message : String(error)}`, describeError(error));
    if (!this.config.shutdownOnUncaughtError) return;
    this.exitWithError = true;
    void this.shutdown.initiate(kind);
    this.scheduleExit();
  }

  /** After a signal (or an uncaught error) the process exits once the shutdown settles, unless configured not to. */
  private scheduleExit(): void {
    const running = this.shutdown.running();
    if (this.exitScheduled || !this.config.exitProcess || running === undefined) return;
    this.exitScheduled = true;
    running
      .then((report) => this.exitProcess(report.forced || this.exitWithError ? this.config.forcedExitCode : 0))
      .catch((error: unknown) => reportInternalError('shutdown', error));
  }
}
