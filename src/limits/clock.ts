import { performance } from 'node:perf_hooks';

/** A monotonic clock in milliseconds. Tests inject their own; the default never goes back with wall time. */
export type Clock = () => number;

/** `performance.now()`: monotonic, sub-millisecond, unaffected by NTP steps. */
export const monotonicClock: Clock = () => performance.now();
