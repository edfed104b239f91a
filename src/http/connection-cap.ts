import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** What {@link capConnections} counts. */
export interface ConnectionCapCounts {
  /** Idle connections closed to make room for a new one. */
  readonly evicted: number;
  /** New connections closed at once because every open one had a request in flight. */
  readonly dropped: number;
}

/**
 * Keeps at most `max` connections open on `server` the way nginx reuses keep-alive connections: at the cap a
 * new connection closes the longest-idle open connection that has no request in flight (one that sent
 * nothing, is still sending its headers, or waits after a response), so a liveness probe gets through however
 * many sockets other clients hold. A request in flight is never cut: when every open connection is busy, the
 * new one is closed at once instead. "Idle since" is when the connection opened or its last response ended.
 */
export function capConnections(server: Server, max: number): ConnectionCapCounts {
  // Insertion order is idle-since order: a connection is moved to the end when its last response ends.
  const idle = new Map<Socket, true>();
  const busy = new Map<Socket, number>();
  const counts = { evicted: 0, dropped: 0 };

  const forget = (socket: Socket): void => {
    idle.delete(socket);
    busy.delete(socket);
  };

  server.on('connection', (socket: Socket) => {
    if (idle.size + busy.size >= max) {
      const oldest = idle.keys().next();
      if (oldest.done === true) {
        counts.dropped++;
        socket.destroy();
        return;
      }
      forget(oldest.value);
      counts.evicted++;
      oldest.value.destroy();
    }
    idle.set(socket, true);
    socket.once('close', () => forget(socket));
  });

  // First, so the count is taken before a handler that answers at once.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    if (socket.destroyed || (!idle.has(socket) && !busy.has(socket))) return;
    idle.delete(socket);
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const inFlight = busy.get(socket);
      if (inFlight === undefined) return;
      if (inFlight > 1) {
        busy.set(socket, inFlight - 1);
        return;
      }
      busy.delete(socket);
      if (!socket.destroyed) idle.set(socket, true);
    });
  });

  return counts;
}
