/**
 * The stage contract of step 6 (error recovery). Each policy is a stage in a folder of its own
 * (`retry/`, `hedging/`, `circuit-breaker/`, `bulkhead/`, `throttle/`, `slow-call/`, `timeout/`) with one
 * `execute` seam. An operation's stages are composed once, when its policies are built
 * (`composeRecovery` in `compose.ts`): each stage holds its `next`, and a call passes the operation and its
 * state as arguments, so composing costs no closure and no promise per call.
 */
import type { CallState, OperationContext } from '../pipeline.js';
import type { AttemptContext } from './timeout/attempt.js';

/** A protected operation: receives its context, returns a promise. */
export type Operation<T> = (ctx: OperationContext) => Promise<T>;

/**
 * A stage that sees the whole call (retry, hedging): it may start several attempts, one after another or at
 * once, each through `next`. Its per-call work keeps per-attempt state of its own (never on `call`).
 */
export interface CallStage<C extends CallState = CallState> {
  /** Runs `operation` for `call` through this stage and the stages after it. */
  execute<T>(operation: Operation<T>, call: C): Promise<T>;
}

/**
 * A stage of one attempt (breaker, bulkhead, throttle, slow-call, timeout): it runs `attempt` once through
 * itself and `next`. Per-attempt state (number, breaker ticket, timeout, signal) lives on `attempt`; the
 * call's (deadline, signals, span, correlation) on `attempt.call`.
 */
export interface AttemptStage {
  /** Runs one attempt of `operation` through this stage and the stages after it. */
  execute<T>(operation: Operation<T>, attempt: AttemptContext<T>): Promise<T>;
}
