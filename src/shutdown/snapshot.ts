/**
 * The shutdown component's read model: what `getShutdownProgress()`, `getSystemStatus().shutdown`,
 * `/status.json` and the status page show of it. Plain JSON, and no code: this module imports only the phase
 * vocabulary (`./phases.js`, which imports nothing), so the status page's browser script can import it type-only.
 */
import type { ShutdownPhase } from './phases.js';

/** Plain JSON view of the shutdown state (`getShutdownProgress()`, the status page). */
export interface ShutdownProgressSnapshot {
  /** The current phase (a `production.shutdown.phase` attribute value). */
  phase: ShutdownPhase;
  /** False from InitiateShutdown on: readiness probes should fail. */
  ready: boolean;
  /** True once new requests are refused. */
  shuttingDown: boolean;
  /** True once the shutdown was forced (second signal, overall deadline, or a direct call). */
  forced: boolean;
  /** What started it; null while running. */
  reason: string | null;
  /** ISO time it started; null while running. */
  startedAt: string | null;
  /** Milliseconds since it started; 0 while running. */
  elapsedMs: number;
  /** Requests in flight. */
  activeRequests: number;
  /** Requests admitted since start. */
  acceptedRequests: number;
  /** Requests refused with SHUTTING_DOWN. */
  rejectedRequests: number;
  /** Requests in flight at StopAcceptingRequests that finished in time. */
  drainedRequests: number;
  /** Requests still running when draining gave up; their signals fired. */
  abandonedRequests: number;
  handlersRegistered: number;
  /** Handler steps run (any outcome). */
  handlersRun: number;
  /** Handler steps that threw or rejected. */
  handlersFailed: number;
  /** Handler steps cut off by their timeout or their phase's deadline. */
  handlersTimedOut: number;
  /** Checkpoints a store persisted during SaveState (none without a checkpoint directory or store). */
  checkpointsSaved: number;
  /** Uncaught exceptions and unhandled rejections seen by the installed handlers. */
  uncaughtErrors: number;
}
