import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { closeConnectionAfter } from '../internal/connection-close.js';

/** The events of an http(s) server that {@link ConnectionDrain} listens to. */
export interface DrainableServer {
  prependListener(event: 'request', listener: (req: IncomingMessage, res: ServerResponse) => void): unknown;
  prependListener(event: 'connection' | 'secureConnection', listener: (socket: Socket) => void): unknown;
}

interface SocketState {
  /** Requests received and not yet answered (response not flushed). */
  inFlight: number;
  /** Their responses, to mark `Connection: close` when the drain starts. */
  readonly responses: Set<ServerResponse>;
  /** `bytesRead` when the socket last went idle: more means a next request is arriving. */
  readAtIdle: number;
}

/** True when `server` emits the request and connection events the drain needs (node's http and https). */
export function isDrainable(server: object): server is DrainableServer {
  return (
    typeof (server as { prependListener?: unknown }).prependListener === 'function' &&
    typeof (server as { listen?: unknown }).listen === 'function'
  );
}

/**
 * Tracks an http(s) server's connections and the requests in flight on each, so a shutdown can close
 * keep-alive connections without racing their clients:
 * - from {@link ConnectionDrain.start}, every response that has not sent its headers carries
 *   `Connection: close`, so node closes its socket after it and the client opens no further request on it;
 * - {@link ConnectionDrain.closeIdle} closes only sockets with no request in flight and no bytes of a next
 *   request read; once closing, a socket is closed as soon as its last response is flushed.
 * A request that arrived is always answered, never reset.
 */
export class ConnectionDrain {
  private readonly sockets = new Map<Socket, SocketState>();
  private draining = false;
  private closing = false;

  constructor(server: DrainableServer) {
    // TLS servers carry requests on the TLS socket of 'secureConnection', not the TCP one of 'connection'.
    const tls = typeof (server as { addContext?: unknown }).addContext === 'function';
    server.prependListener(tls ? 'secureConnection' : 'connection', (socket: Socket) => void this.track(socket));
    // Prepended, so the mark is set before the application's handler can write the headers.
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res));
  }

  /** Open connections tracked. */
  get connections(): number {
    return this.sockets.size;
  }

  /** Requests in flight on all connections. */
  get inFlight(): number {
    let n = 0;
    for (const state of this.sockets.values()) n += state.inFlight;
    return n;
  }

  /** From now on every response says `Connection: close`, including those in flight that have not written their headers. */
  start(): void {
    if (this.draining) return;
    this.draining = true;
    for (const state of this.sockets.values()) for (const res of state.responses) closeConnectionAfter(res);
  }

  /**
   * Closes the connections that carry no request now, and from then on each one as soon as its last
   * response is flushed. Returns how many it closed now.
   */
  closeIdle(): number {
    this.start();
    this.closing = true;
    let closed = 0;
    for (const [socket, state] of this.sockets) {
      if (this.idle(socket, state)) {
        socket.destroy();
        closed++;
      }
    }
    return closed;
  }

  /** Closes every connection, busy or not (the deadline has passed). */
  closeAll(): void {
    for (const socket of this.sockets.keys()) socket.destroy();
  }

  private track(socket: Socket): SocketState {
    let state = this.sockets.get(socket);
    if (state === undefined) {
      state = { inFlight: 0, responses: new Set(), readAtIdle: socket.bytesRead };
      this.sockets.set(socket, state);
      socket.once('close', () => this.sockets.delete(socket));
    }
    return state;
  }

  private idle(socket: Socket, state: SocketState): boolean {
    return state.inFlight === 0 && socket.bytesRead === state.readAtIdle;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    const state = this.track(socket);
    state.inFlight++;
    state.responses.add(res);
    if (this.draining) closeConnectionAfter(res);
    let done = false;
    const finished = (): void => {
      if (done) return;
      done = true;
      state.inFlight--;
      state.responses.delete(res);
      state.readAtIdle = socket.bytesRead;
      // A response that started before the drain may have promised keep-alive: once it is flushed and no
      // other request is under way on its socket, the socket goes.
      if (this.closing && this.idle(socket, state)) socket.destroy();
    };
    res.once('finish', finished);
    res.once('close', finished);
  }
}
