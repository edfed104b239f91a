import type { HandlerResult } from './handler.js';
import type { ShutdownPhase, WorkingPhase } from './phases.js';
import type { ShutdownProgress } from './progress.js';
import type { HandlerRunner } from './steps.js';

/** How a phase ended. `skipped`: a forced shutdown skipped it; `forced`: a forced shutdown cut it short. */
export type PhaseOutcome = 'completed' | 'completed_with_errors' | 'timed_out' | 'forced' | 'skipped';

/** One phase in a {@link ShutdownReport}. */
export interface PhaseReport {
  readonly phase: WorkingPhase;
  /** Start, ms since the epoch (0 when skipped). */
  readonly startedAt: number;
  readonly durationMs: number;
  readonly outcome: PhaseOutcome;
}

/** A checkpoint saved during SaveState. */
export interface CheckpointRecord {
  readonly component: string;
  /** ISO 8601. */
  readonly timestamp: string;
  /** True when a {@link CheckpointStore} persisted it (false: none is configured; it is kept in memory only). */
  readonly persisted: boolean;
}

/** What `initiateShutdown()` / `forceShutdown()` resolve with. */
export interface ShutdownReport {
  /** What started it: a signal name, `manual`, `forced`, `deadline`, `uncaughtException`, `unhandledRejection`. */
  readonly reason: string;
  /** True when anything was skipped or cut short by `forceShutdown()` (a second signal, the overall deadline). */
  readonly forced: boolean;
  /** The last phase reached. */
  readonly finalPhase: ShutdownPhase;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly durationMs: number;
  /** The five working phases in order. */
  readonly phases: readonly PhaseReport[];
  /** Requests admitted before new ones were refused, still running then, that finished in time. */
  readonly requestsDrained: number;
  /** Requests still running when draining gave up; their `AbortSignal`s fired. */
  readonly requestsAbandoned: number;
  /** Requests refused with SHUTTING_DOWN. */
  readonly requestsRejected: number;
  readonly handlersRun: number;
  readonly handlersFailed: number;
  readonly handlersTimedOut: number;
  /** Every handler step, in the order they ran. */
  readonly handlers: readonly HandlerResult[];
  /** Checkpoints a store persisted (0 without a checkpoint directory or store: state kept in memory is not saved). */
  readonly checkpointsSaved: number;
  /** Every checkpoint taken, persisted or kept in memory only. */
  readonly checkpoints: readonly CheckpointRecord[];
  /** True when every `finalize` step (the telemetry flush) completed in time. */
  readonly telemetryFlushed: boolean;
}

/** Freezes the state of a finished shutdown into its report. */
export function buildReport(
  reason: string,
  p: ShutdownProgress,
  finishedAt: number,
  phases: readonly PhaseReport[],
  runner: HandlerRunner,
  telemetryFlushed: boolean,
): ShutdownReport {
  return {
    reason,
    forced: p.forced,
    finalPhase: p.phase,
    startedAt: p.startedAt,
    finishedAt,
    durationMs: finishedAt - p.startedAt,
    phases: phases.slice(),
    requestsDrained: p.drainCounts.drained,
    requestsAbandoned: p.drainCounts.abandoned,
    requestsRejected: p.rejectedRequests,
    ...p.tallies,
    handlers: runner.results.slice(),
    checkpoints: runner.checkpointRecords.slice(),
    telemetryFlushed,
  };
}
