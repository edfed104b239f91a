import type { Clock } from '../../src/internal/time.js';

/** A clock a test moves by hand: both readings are `now` (ms). */
export interface ManualClock extends Clock {
  /** The time both readings return. */
  now: number;
}

/** A {@link ManualClock} starting at `start`. */
export function manualClock(start = 0): ManualClock {
  const clock: ManualClock = {
    now: start,
    wall: () => clock.now,
    monotonic: () => clock.now,
  };
  return clock;
}

/** A clock on `Date.now()` for both readings, so vitest's fake timers move it. */
export const dateClock: Clock = { wall: () => Date.now(), monotonic: () => Date.now() };

/** A clock whose wall and monotonic readings are both `read()`. */
export function clockOf(read: () => number): Clock {
  return { wall: read, monotonic: read };
}
