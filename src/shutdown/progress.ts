import { ShuttingDownError } from '../errors.js';
import type { Guard } from '../guard.js';
import { onAbort } from '../internal/time.js';
import { ShutdownPhase } from './phases.js';

/**
 * Counts one request in flight until released (`using`, `Symbol.dispose` or `release()`); releasing twice
 * is harmless. A plain class, not a closure: it sits on the hot path of every protected operation.
 */
export class ActiveRequestGuard implements Guard {
  private progress: ShutdownProgress | undefined;

  constructor(progress: ShutdownProgress) {
    this.progress = progress;
  }

  get released(): boolean {
    return this.progress === undefined;
  }

  release(): void {
    const progress = this.progress;
    if (progress === undefined) return;
    this.progress = undefined;
    progress.requestFinished();
  }

  [Symbol.dispose](): void {
    this.release();
  }
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

/** Live state of a shutdown: the phase, request counters and handler tallies. Shared with request guards. */
export class ShutdownProgress {
  /** The current phase. */
  phase: ShutdownPhase = ShutdownPhase.Running;
  /** False from InitiateShutdown on: readiness probes should fail. */
  ready = true;
  /** False from StopAcceptingRequests on: new requests are refused. */
  accepting = true;
  /** Requests in flight. */
  active = 0;
  /** Requests admitted since start. */
  accepted = 0;
  /** Requests refused with SHUTTING_DOWN. */
  rejected = 0;
  /** Requests that finished while the shutdown waited for them. */
  drained = 0;
  /** Requests still running when draining gave up. */
  abandoned = 0;
  /** Requests in flight when new ones stopped being accepted. */
  inFlightAtStop = 0;
  /** Handler steps run (any outcome). */
  handlersRun = 0;
  /** Handler steps that threw or rejected. */
  handlersFailed = 0;
  /** Handler steps cut off by their timeout or their phase's deadline. */
  handlersTimedOut = 0;
  /** Checkpoints taken during SaveState. */
  checkpointsSaved = 0;
  /** Uncaught exceptions and unhandled rejections seen by the installed handlers. */
  uncaughtErrors = 0;
  /** True once `forceShutdown()` ran (second signal, overall deadline, or a direct call). */
  forced = false;
  /** When the shutdown started, ms since the epoch; 0 while running. */
  startedAt = 0;
  private drainWaiter: (() => void) | undefined;

  /** Plain JSON form for the status page. */
  snapshot(reason: string, handlersRegistered: number, now: number): ShutdownProgressSnapshot {
    const started = this.startedAt > 0;
    return {
      phase: this.phase,
      ready: this.ready,
      shutting_down: !this.accepting,
      forced: this.forced,
      reason: started ? reason : null,
      started_at: started ? new Date(this.startedAt).toISOString() : null,
      elapsed_ms: started ? now - this.startedAt : 0,
      active_requests: this.active,
      accepted_requests: this.accepted,
      rejected_requests: this.rejected,
      drained_requests: this.drained,
      abandoned_requests: this.abandoned,
      handlers_registered: handlersRegistered,
      handlers_run: this.handlersRun,
      handlers_failed: this.handlersFailed,
      handlers_timed_out: this.handlersTimedOut,
      checkpoints_saved: this.checkpointsSaved,
      uncaught_errors: this.uncaughtErrors,
    };
  }

  /** Hot path: admits one request or throws SHUTTING_DOWN. */
  track(): Guard {
    if (!this.accepting) {
      this.rejected++;
      throw new ShuttingDownError();
    }
    this.active++;
    this.accepted++;
    return new ActiveRequestGuard(this);
  }

  /** Called by a guard's release. */
  requestFinished(): void {
    if (--this.active === 0 && this.drainWaiter !== undefined) this.drainWaiter();
  }

  /** Resolves true once no request is in flight, or false when `signal` aborts first. */
  waitForDrain(signal: AbortSignal): Promise<boolean> {
    if (this.active === 0) return Promise.resolve(true);
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const finish = (drained: boolean) => {
        this.drainWaiter = undefined;
        aborted.release();
        resolve(drained);
      };
      this.drainWaiter = () => finish(true);
      const aborted = onAbort(signal, () => finish(false));
    });
  }
}
