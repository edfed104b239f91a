/**
 * The phases of a graceful shutdown, in the order they run. The string values are the `phase` attribute of
 * the `production.shutdown.phase` gauge and the suffix of each phase's span name, so they never change.
 */
export const ShutdownPhase = {
  Running: 'running',
  InitiateShutdown: 'initiate_shutdown',
  StopAcceptingRequests: 'stop_accepting_requests',
  FinishActiveRequests: 'finish_active_requests',
  SaveState: 'save_state',
  CleanupResources: 'cleanup_resources',
  Terminated: 'terminated',
} as const;

/** One shutdown phase. */
export type ShutdownPhase = (typeof ShutdownPhase)[keyof typeof ShutdownPhase];

/** Every phase, first to last. */
export const SHUTDOWN_PHASES: readonly ShutdownPhase[] = Object.freeze(Object.values(ShutdownPhase));

/** The phases that do work between Running and Terminated. */
export type WorkingPhase = Exclude<ShutdownPhase, 'running' | 'terminated'>;
