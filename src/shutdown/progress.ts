import { ShuttingDownError } from '../errors.js';
import type { Guard } from '../guard.js';
import { onAbort } from '../internal/time.js';
import type { HandlerOutcome } from './handler.js';
import { ShutdownPhase } from './phases.js';
import type { ShutdownProgressSnapshot } from './snapshot.js';

// For src/system.ts, which reads the progress from here.
export type { ShutdownProgressSnapshot } from './snapshot.js';

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

/**
 * Where a shutdown is, each state with what exists only from then on:
 * - `running`: no shutdown yet;
 * - `initiated`: readiness withdrawn (InitiateShutdown), requests still admitted;
 * - `refusing`: new requests refused (StopAcceptingRequests, or forced), the ones in flight draining;
 * - `drained`: draining is over: every request finished, or the rest were abandoned;
 * - `terminated`: the sequence ended.
 */
export type ShutdownState =
  | { readonly kind: 'running' }
  | { readonly kind: 'initiated'; readonly reason: string; readonly startedAt: number; readonly forced: false }
  | {
      readonly kind: 'refusing';
      readonly reason: string;
      readonly startedAt: number;
      readonly forced: boolean;
      readonly inFlightAtStop: number;
    }
  | Drained
  | (Omit<Drained, 'kind'> & { readonly kind: 'terminated'; readonly finishedAt: number });

interface Drained {
  readonly kind: 'drained';
  readonly reason: string;
  readonly startedAt: number;
  readonly forced: boolean;
  readonly inFlightAtStop: number;
  /** Requests in flight at the stop that finished in time. */
  readonly drained: number;
  /** Requests still running when draining gave up. */
  readonly abandoned: number;
}

/**
 * The live state of a shutdown: a {@link ShutdownState} the manager moves through its methods, the phase,
 * the request counters (shared with the request guards) and the handler tallies.
 */
export class ShutdownProgress {
  private current: ShutdownState = { kind: 'running' };
  private currentPhase: ShutdownPhase = ShutdownPhase.Running;
  // Mirrors the state (running or initiated): read on the hot path of every request, so a plain field.
  private admitting = true;
  private active = 0;
  private accepted = 0;
  private rejected = 0;
  private handlersRun = 0;
  private handlersFailed = 0;
  private handlersTimedOut = 0;
  private checkpointsSaved = 0;
  private uncaughtErrors = 0;
  private drainWaiter: (() => void) | undefined;

  /** The state now. */
  get state(): ShutdownState {
    return this.current;
  }

  /** The current phase. */
  get phase(): ShutdownPhase {
    return this.currentPhase;
  }

  /** False from InitiateShutdown on. */
  get ready(): boolean {
    return this.current.kind === 'running';
  }

  /** False once new requests are refused. */
  get accepting(): boolean {
    return this.admitting;
  }

  /** True once the shutdown was forced. */
  get forced(): boolean {
    return this.current.kind !== 'running' && this.current.forced;
  }

  /** Requests in flight. */
  get activeRequests(): number {
    return this.active;
  }

  /** Epoch ms the shutdown started; 0 while running. */
  get startedAt(): number {
    return this.current.kind === 'running' ? 0 : this.current.startedAt;
  }

  /** Requests drained and abandoned so far (0 and 0 until draining is over). */
  get drainCounts(): { readonly drained: number; readonly abandoned: number } {
    const s = this.current;
    return s.kind === 'drained' || s.kind === 'terminated' ? { drained: s.drained, abandoned: s.abandoned } : { drained: 0, abandoned: 0 };
  }

  /** Requests refused with SHUTTING_DOWN. */
  get rejectedRequests(): number {
    return this.rejected;
  }

  /** Handler steps run, failed and timed out, and checkpoints saved. */
  get tallies(): {
    readonly handlersRun: number;
    readonly handlersFailed: number;
    readonly handlersTimedOut: number;
    readonly checkpointsSaved: number;
  } {
    return {
      handlersRun: this.handlersRun,
      handlersFailed: this.handlersFailed,
      handlersTimedOut: this.handlersTimedOut,
      checkpointsSaved: this.checkpointsSaved,
    };
  }

  /** Running → initiated: readiness is withdrawn, requests are still admitted. */
  begin(reason: string, now: number): void {
    if (this.current.kind === 'running') this.current = { kind: 'initiated', reason, startedAt: now, forced: false };
  }

  /** Enters `phase` (the manager's sequence decides the order). */
  enter(phase: ShutdownPhase): void {
    this.currentPhase = phase;
  }

  /** Refuses new requests from now on, counting those in flight as the ones to drain. */
  stopAccepting(): void {
    const s = this.current;
    if (s.kind !== 'initiated') return;
    this.admitting = false;
    this.current = { kind: 'refusing', reason: s.reason, startedAt: s.startedAt, forced: false, inFlightAtStop: this.active };
  }

  /** Marks the shutdown forced and stops admitting (when it still did). */
  force(reason: string, now: number): void {
    this.begin(reason, now);
    this.stopAccepting();
    const s = this.current;
    if (s.kind !== 'running' && s.kind !== 'initiated' && !s.forced) this.current = { ...s, forced: true };
  }

  /** Draining is over: every request of the stop that is not running now finished; the rest are abandoned. */
  endDrain(): { readonly drained: number; readonly abandoned: number } {
    const s = this.current;
    if (s.kind === 'refusing') {
      this.current = { ...s, kind: 'drained', drained: Math.max(0, s.inFlightAtStop - this.active), abandoned: this.active };
    }
    return this.drainCounts;
  }

  /** The sequence ended. */
  terminate(now: number): void {
    this.admitting = false;
    const s = this.current;
    if (s.kind === 'running' || s.kind === 'terminated') return;
    const drained =
      s.kind === 'drained' ? s : { ...s, inFlightAtStop: 'inFlightAtStop' in s ? s.inFlightAtStop : 0, drained: 0, abandoned: 0 };
    this.current = { ...drained, kind: 'terminated', finishedAt: now };
  }

  /** Counts one handler step by its outcome. */
  recordHandler(outcome: HandlerOutcome): void {
    this.handlersRun++;
    if (outcome === 'failed') this.handlersFailed++;
    else if (outcome === 'timed_out') this.handlersTimedOut++;
  }

  /** Counts one checkpoint persisted by the store. */
  recordCheckpoint(): void {
    this.checkpointsSaved++;
  }

  /** Counts one uncaught exception or unhandled rejection. */
  recordUncaughtError(): void {
    this.uncaughtErrors++;
  }

  /** Plain JSON form. */
  snapshot(handlersRegistered: number, now: number): ShutdownProgressSnapshot {
    const s = this.current;
    const started = s.kind !== 'running';
    const { drained, abandoned } = this.drainCounts;
    return {
      phase: this.currentPhase,
      ready: this.ready,
      shuttingDown: !this.admitting,
      forced: this.forced,
      reason: started ? s.reason : null,
      startedAt: started ? new Date(s.startedAt).toISOString() : null,
      elapsedMs: started ? now - s.startedAt : 0,
      activeRequests: this.active,
      acceptedRequests: this.accepted,
      rejectedRequests: this.rejected,
      drainedRequests: drained,
      abandonedRequests: abandoned,
      handlersRegistered,
      handlersRun: this.handlersRun,
      handlersFailed: this.handlersFailed,
      handlersTimedOut: this.handlersTimedOut,
      checkpointsSaved: this.checkpointsSaved,
      uncaughtErrors: this.uncaughtErrors,
    };
  }

  /** Hot path: admits one request or throws SHUTTING_DOWN. */
  track(): Guard {
    if (!this.admitting) {
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
