import { AbortedError } from '../errors.js';

/**
 * Waits `ms`, ending at once with {@link AbortedError} when either signal aborts: cockatiel 3.2.1's retry
 * sleep ignores abort, so a caller's abort or a shutdown would otherwise wait out the whole backoff.
 * The timer is deliberately not `unref()`ed: a caller awaits it, and an unref'd timer would let the process
 * exit in the middle of a retry (a script would end with an unsettled promise). It is bounded by
 * `maxDelayMs` and ended by the shutdown's abandon signal.
 */
export function abortableSleep(ms: number, first?: AbortSignal, second?: AbortSignal): Promise<void> {
  if (first?.aborted) return Promise.reject(new AbortedError(first.reason));
  if (second?.aborted) return Promise.reject(new AbortedError(second.reason));
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      first?.removeEventListener('abort', onAbort);
      second?.removeEventListener('abort', onAbort);
    };
    const onAbort = (event: Event): void => {
      cleanup();
      reject(new AbortedError((event.target as AbortSignal).reason));
    };
    const timer = setTimeout(() => {
      cleanup();
      resolve();
    }, ms);
    first?.addEventListener('abort', onAbort, { once: true });
    second?.addEventListener('abort', onAbort, { once: true });
  });
}
