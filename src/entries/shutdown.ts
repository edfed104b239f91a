/**
 * `@llmkg/production/shutdown`: graceful shutdown (`system.components.shutdown`). Phases with deadlines,
 * handlers, request draining, state checkpoints, signals and the final telemetry flush.
 * `createServerCloseHandler` is in the root entry. `api/production-shutdown.api.md` is the report of this surface. The types
 * its signatures share with the root entry are exported there (`@llmkg/production`), not again here.
 *
 * @module @llmkg/production/shutdown
 */
export {
  GracefulShutdownManager,
  shutdownConfigSchema,
  ShutdownPhase,
  DEFAULT_HANDLER_PRIORITY,
  FileCheckpointStore,
  TELEMETRY_FLUSH_PRIORITY,
  createCleanupHandler,
  createTelemetryFlushHandler,
  type CheckpointFileSystem,
  type CleanupStep,
  type FlushableProvider,
  type TelemetryFlushOptions,
} from '../shutdown/index.js';
