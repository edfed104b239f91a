/**
 * Graceful shutdown: phases with deadlines, handlers, request draining, state checkpoints, signals, and a
 * final telemetry flush. See {@link GracefulShutdownManager}.
 */
export { GracefulShutdownManager } from './manager.js';
export type { GracefulShutdownOptions, ShutdownConfigInput } from './options.js';
export { shutdownConfigSchema, type ShutdownConfig } from './config.js';
export { ShutdownPhase, type WorkingPhase } from './phases.js';
export type { ShutdownProgressSnapshot } from './snapshot.js';
export {
  DEFAULT_HANDLER_PRIORITY,
  type HandlerOptions,
  type HandlerOutcome,
  type HandlerResult,
  type HandlerStep,
  type ShutdownHandler,
} from './handler.js';
export type { CheckpointRecord, PhaseOutcome, PhaseReport, ShutdownReport } from './report.js';
export { FileCheckpointStore, type CheckpointFileSystem, type CheckpointStore, type ShutdownCheckpoint } from './checkpoint.js';
export type { ProcessEvents, ProcessListener } from './process-hooks.js';
export {
  TELEMETRY_FLUSH_PRIORITY,
  createCleanupHandler,
  createServerCloseHandler,
  createTelemetryFlushHandler,
  type CleanupStep,
  type ClosableServer,
  type ServerCloseOptions,
  type FlushableProvider,
  type TelemetryFlushOptions,
} from './builtins.js';
