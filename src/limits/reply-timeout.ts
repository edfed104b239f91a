import { performance } from 'node:perf_hooks';

/** A store call got no reply within its timeout. */
export class StoreTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`No reply from the rate-limit store within ${timeoutMs} ms`);
    this.name = 'StoreTimeoutError';
  }
}

/** A timer this much later than due means our own event loop was blocked (normal jitter is a few ms). */
export const LOOP_STALL_MS = 20;

/** Starts a store call and settles it through `resolve` / `reject` (calls after the first settle are ignored). */
export type StoreCall<T> = (resolve: (value: T) => void, reject: (error: unknown) => void) => void;

/**
 * The result of `call`, or a {@link StoreTimeoutError} once `timeoutMs` has passed without it, counting only time
 * our own event loop could use. Two cases would otherwise blame the store for our stall:
 * - Node runs timers before it reads sockets in each turn of the loop, so after a long synchronous task a
 *   plain timer fires although the reply arrived in time and sits unread in the socket. The verdict waits
 *   one `setImmediate`, which runs after the loop's I/O: a reply that arrived is read first.
 * - A call that needs a second round trip (NOSCRIPT, then EVAL) cannot send it while the loop is blocked.
 *   A timer that fires more than {@link LOOP_STALL_MS} late gives the call one more `timeoutMs` from now.
 *   So does `heldBack(startedAt)` returning true: the call's request may have waited out a stall of ours
 *   before it was written (a stall a little longer than `timeoutMs` leaves the timer only slightly late).
 * So a call waits at most twice `timeoutMs` plus the stall. The timer keeps the process alive while the
 * caller awaits it. `onTimeout` runs when the timeout wins.
 */
export function withReplyTimeout<T>(
  call: StoreCall<T>,
  timeoutMs: number,
  onTimeout?: () => void,
  heldBack?: (startedAt: number) => boolean,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let extended = false;
    const startedAt = performance.now();
    let due = startedAt + timeoutMs;
    const expire = () => {
      if (settled) return;
      settled = true;
      onTimeout?.();
      reject(new StoreTimeoutError(timeoutMs));
    };
    const timer = setTimeout(() => {
      const now = performance.now();
      if (!extended && (now - due > LOOP_STALL_MS || heldBack?.(startedAt) === true)) {
        extended = true;
        due = now + timeoutMs;
        timer.refresh();
        return;
      }
      setImmediate(expire);
    }, timeoutMs);
    call(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
