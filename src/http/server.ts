import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseSection } from '../internal/validation.js';
import { reportInternalError } from '../telemetry/internal-errors.js';
import { capConnections } from './connection-cap.js';
import { adminServerConfigSchema, type AdminServerConfig } from './config.js';
import { AdminServerError } from './errors.js';
import { handlerFor } from './node-handler.js';
import { AdminRoutes, type AdminHandlerOptions } from './routes.js';
import type { z } from 'zod';

/** What the admin server accepts as its config section (every field optional). */
export type AdminServerConfigInput = z.input<typeof adminServerConfigSchema>;

/** Options of {@link createAdminServer}: the handlers' sources plus the `admin` config section. */
export interface AdminServerOptions extends AdminHandlerOptions {
  /** Host, port and bearer token; default 127.0.0.1:9464. `bearerToken` here is used unless the option is set. */
  config?: AdminServerConfigInput;
}

/** The admin HTTP server. */
export interface AdminServer {
  /** Starts listening; resolves the bound address. Rejects with {@link AdminServerError} when it cannot. */
  listen(): Promise<{ host: string; port: number }>;
  /** Stops accepting, closes idle keep-alive connections and resolves when in-flight requests are done. */
  close(): Promise<void>;
  /** Closes keep-alive connections that carry no request. */
  closeIdleConnections(): void;
  /** New connections closed at once because `maxConnections` were open, each with a request in flight. */
  readonly droppedConnections: number;
  /** Idle connections closed to make room for a new one at `maxConnections`. */
  readonly evictedConnections: number;
  /** The validated config. */
  readonly config: AdminServerConfig;
  /** The underlying node:http server (`unref()`ed once listening). */
  readonly server: Server;
}

/**
 * How often node checks the header and request timeouts. Node's default is every 30 s, so a 10 s header
 * timeout let a slow client hold its socket for up to 40 s; a quarter of the header timeout, at most 1 s,
 * keeps every timeout within about a second of its setting.
 */
export function connectionsCheckingIntervalMs(headersTimeoutMs: number): number {
  return Math.max(25, Math.min(1000, Math.floor(headersTimeoutMs / 4)));
}

/**
 * The admin server on node:http (default 127.0.0.1:9464): `/livez`, `/readyz`, `/health`, `/metrics`,
 * `/status`, `/status.json`. It never keeps the process alive (`unref()`), and refuses to start on a taken
 * port with an {@link AdminServerError} naming host:port. Throws INVALID_CONFIG for a bad config.
 * A client cannot hold it: headers must arrive within `headersTimeoutMs` (408), a whole request within
 * `requestTimeoutMs`, an idle keep-alive connection is closed after `keepAliveTimeoutMs`, a silent one after
 * `idleTimeoutMs`, and at most `maxConnections` are open: at the cap a new connection closes the longest-idle
 * one without a request in flight (a request in flight is never cut), so a probe gets through.
 */
export function createAdminServer(options: AdminServerOptions = {}): AdminServer {
  const config = parseSection(adminServerConfigSchema, options.config ?? {}, 'admin');
  const bearerToken = options.bearerToken ?? config.bearerToken;
  const routes = new AdminRoutes({ ...options, ...(bearerToken !== undefined ? { bearerToken } : {}) });
  // Probes and scrapes are small and quick: do not let a slow or silent client hold a socket for long.
  const server = createServer(
    {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: connectionsCheckingIntervalMs(config.headersTimeoutMs),
    },
    handlerFor(routes),
  );
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  // No 'timeout' listener: node destroys a socket silent for this long.
  server.setTimeout(config.idleTimeoutMs);
  // Not node's maxConnections: it closes the new connection, so idle sockets held by others lock probes out.
  const cap = capConnections(server, config.maxConnections);
  let listening: Promise<{ host: string; port: number }> | undefined;

  const listen = (): Promise<{ host: string; port: number }> => {
    listening ??= new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        server.off('listening', onListening);
        listening = undefined;
        reject(new AdminServerError(config.host, config.port, error));
      };
      const onListening = (): void => {
        server.off('error', onError);
        // From now on an error (say EMFILE from accept with the file table full) is counted, not fatal.
        if (server.listenerCount('error') === 0) server.on('error', (error: unknown) => reportInternalError('admin_server', error));
        server.unref();
        const address = server.address() as AddressInfo;
        resolve({ host: address.address, port: address.port });
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen({ host: config.host, port: config.port, exclusive: true });
    });
    return listening;
  };

  const close = (): Promise<void> =>
    new Promise((resolve) => {
      listening = undefined;
      if (!server.listening) {
        resolve();
        return;
      }
      server.close(() => resolve());
      server.closeIdleConnections();
    });

  return {
    listen,
    close,
    closeIdleConnections: () => server.closeIdleConnections(),
    get droppedConnections() {
      return cap.dropped;
    },
    get evictedConnections() {
      return cap.evicted;
    },
    config,
    server,
  };
}
