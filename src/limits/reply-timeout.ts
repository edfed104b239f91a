/** A store call got no reply within its timeout. */
export class StoreTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`No reply from the rate-limit store within ${timeoutMs} ms`);
    this.name = 'StoreTimeoutError';
  }
}

/**
 * `work`, or a {@link StoreTimeoutError} once `timeoutMs` has passed without its result. Node runs timers
 * before it reads sockets in each turn of the event loop, so after a stall of our own loop (a long
 * synchronous task) a plain timer would fire although the reply had arrived in time and sits unread in the
 * socket. The timeout therefore waits one `setImmediate` more, which runs after the loop's I/O: a reply that
 * arrived is read first, and only a reply still missing then is a timeout. The timer keeps the process
 * alive while the caller awaits it. `onTimeout` runs when the timeout wins.
 */
export function withReplyTimeout<T>(work: Promise<T>, timeoutMs: number, onTimeout?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const expire = () => {
      if (settled) return;
      settled = true;
      onTimeout?.();
      reject(new StoreTimeoutError(timeoutMs));
    };
    const timer = setTimeout(() => setImmediate(expire), timeoutMs);
    work.then(
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
