/** Timeout: each attempt cut at the operation's timeout or the call's deadline, on one deadline queue. */
export { TimeoutStage, type TimeoutSettings } from './stage.js';
export { AttemptContext, type ClosedBreaker } from './attempt.js';
export { DeadlineQueue, type DeadlineEntry } from '../../deadlines/queue.js';
