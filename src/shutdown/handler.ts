/**
 * A component's part in a shutdown. Every method is optional; each runs in its phase with an `AbortSignal`
 * that fires at the handler's timeout, the phase's deadline or a forced shutdown, whichever comes first.
 * A handler that throws or hangs is reported and the shutdown goes on without it.
 */
export interface ShutdownHandler {
  /** InitiateShutdown: requests are still served; e.g. make `/readyz` answer 503. */
  initiate?(signal: AbortSignal): void | Promise<void>;
  /** StopAcceptingRequests: stop taking new work, e.g. stop listening. */
  stopAccepting?(signal: AbortSignal): void | Promise<void>;
  /** SaveState: return state to checkpoint (anything JSON-serialisable); `undefined` saves nothing. */
  saveState?(signal: AbortSignal): unknown;
  /** CleanupResources: close connections, stop timers, release resources. */
  cleanup?(signal: AbortSignal): void | Promise<void>;
  /**
   * After Terminated, also when forced, bounded by `telemetryFlushTimeoutMs`: flush what must not be lost
   * (telemetry). Runs after the `shutdown` span has ended, so that span is flushed too.
   */
  finalize?(signal: AbortSignal): void | Promise<void>;
}

/** The handler methods, one per step. */
export type HandlerStep = 'initiate' | 'stopAccepting' | 'saveState' | 'cleanup' | 'finalize';

/** Options of {@link GracefulShutdownManager.registerHandler}. */
export interface HandlerOptions {
  /** Lower runs first; equal priorities run concurrently. Default {@link DEFAULT_HANDLER_PRIORITY}. */
  priority?: number;
  /** Timeout of each of this handler's steps, in ms. Default `config.handlerTimeoutMs`. */
  timeoutMs?: number;
}

/** Priority of handlers registered without one. */
export const DEFAULT_HANDLER_PRIORITY = 100;

/** How one handler step ended. `aborted`: cut short by a forced shutdown; `skipped`: never started. */
export type HandlerOutcome = 'completed' | 'failed' | 'timed_out' | 'aborted' | 'skipped';

/** One handler step in a {@link ShutdownReport}. */
export interface HandlerResult {
  /** The name it was registered under. */
  readonly name: string;
  /** Which method ran. */
  readonly step: HandlerStep;
  /** How it ended. */
  readonly outcome: HandlerOutcome;
  /** Wall time of the step, in ms. */
  readonly durationMs: number;
  /** Message of the error it threw, when `failed`. */
  readonly error?: string;
}

/** A handler as the manager keeps it. */
export interface RegisteredHandler {
  readonly name: string;
  readonly handler: ShutdownHandler;
  readonly priority: number;
  readonly timeoutMs: number;
  /** Registration order, the tie-break that keeps sorting stable. */
  readonly seq: number;
}

/**
 * Groups handlers that implement `step` by priority, lowest first; the handlers of one group run
 * concurrently, the groups one after the other.
 */
export function priorityGroups(handlers: Iterable<RegisteredHandler>, step: HandlerStep): RegisteredHandler[][] {
  const withStep = [...handlers].filter((h) => typeof h.handler[step] === 'function');
  withStep.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
  const groups: RegisteredHandler[][] = [];
  for (const h of withStep) {
    const last = groups[groups.length - 1];
    if (last !== undefined && last[0]!.priority === h.priority) last.push(h);
    else groups.push([h]);
  }
  return groups;
}
