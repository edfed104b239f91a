import type { z } from 'zod';
import type { OperationLogger } from '../pipeline.js';
import type { CheckpointStore } from './checkpoint.js';
import type { Clock } from '../internal/time.js';
import type { shutdownConfigSchema } from './config.js';
import type { ProcessEvents } from './process-hooks.js';

/** What the constructor accepts: every field optional, defaults fill the rest. */
export type ShutdownConfigInput = z.input<typeof shutdownConfigSchema>;

/** Collaborators of {@link GracefulShutdownManager}, all optional. */
export interface GracefulShutdownOptions {
  /** Receives a record per phase transition, handler failure, signal and uncaught error. */
  logger?: OperationLogger;
  /** Time source (its wall time: phase times, checkpoint timestamps, the report); default the system clock. */
  clock?: Clock;
  /** Ends the process after a signal-initiated shutdown; default `process.exit`. */
  exit?: (code: number) => void;
  /** Where SaveState writes; default a `FileCheckpointStore` (`@llmkg/production/shutdown`) in `config.checkpointDir` when set. */
  checkpointStore?: CheckpointStore;
  /** Where signal and uncaught-error listeners go; default `process`. */
  processEvents?: ProcessEvents;
}
