import type { ServerResponse } from 'node:http';

/**
 * Makes node answer `res` with `Connection: close` and close the connection after it, so the client sends
 * no further request on it. Does nothing once the headers are sent.
 */
export function closeConnectionAfter(res: ServerResponse): void {
  if (res.headersSent) return;
  res.shouldKeepAlive = false;
  res.setHeader('connection', 'close');
}
