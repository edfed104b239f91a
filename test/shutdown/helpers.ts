import { EventEmitter } from 'node:events';
import type { GracefulShutdownManager, ProcessEvents, ShutdownPhase } from '../../src/shutdown/index.js';

/** A stand-in for `process` that tests can emit signals and errors on. */
export function fakeProcess(): ProcessEvents & EventEmitter {
  return new EventEmitter() as ProcessEvents & EventEmitter;
}

/** A promise and its resolve function. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Resolves when `manager` enters `phase` (its handlers for the phase before it have all run). Call it before
 * starting the shutdown: a phase already passed is not reported.
 */
export function phaseReached(manager: GracefulShutdownManager, phase: ShutdownPhase): Promise<void> {
  const reached = deferred();
  const subscription = manager.onPhaseChange((entered) => {
    if (entered !== phase) return;
    subscription.release();
    reached.resolve();
  });
  return reached.promise;
}
