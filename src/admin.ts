import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import type { ProductionConfig } from './config.js';
import type { ConfigFileStatus } from './config/reload.js';
import type { StandardComponents } from './create.js';
import { createAdminServer, type AdminServer, type AdminServerConfigInput } from './http/server.js';
import { buildStatusDocument, type StatusSources } from './http/status-data.js';
import { createServerCloseHandler } from './shutdown/builtins.js';

/** An admin server's bound address. */
export interface AdminServerAddress {
  readonly host: string;
  readonly port: number;
}

/** What the admin server of a system reads: its config, its components, and its operations in flight. */
export interface AdminServerHost {
  readonly config: ProductionConfig;
  readonly components: StandardComponents;
  activeOperationCount(): number;
  /** The configuration file's status, when the system has one. */
  getConfigFileStatus?(): ConfigFileStatus | null;
}

/** The base URL of a bound admin address; a wildcard address is named by the host name. */
function adminUrl(address: AdminServerAddress): string {
  const wildcard = address.host === '0.0.0.0' || address.host === '::';
  const host = wildcard ? hostname() : address.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

/**
 * Starts the admin server of `system` (`/metrics`, `/livez`, `/readyz`, `/health`, `/status`), by default on
 * 127.0.0.1:9464 from the `admin` config, and registers it to stop listening at shutdown without resetting a
 * keep-alive scraper or probe. Alerts then link to this server's `/status`, unless `monitoring.externalUrl` is set.
 */
export async function startAdminServer(
  system: AdminServerHost,
  overrides: AdminServerConfigInput = {},
): Promise<{ server: AdminServer; address: AdminServerAddress }> {
  const { monitor, health, shutdown } = system.components;
  const adminConfig = { ...system.config.admin, ...overrides };
  const sources: StatusSources = {
    ...system.components,
    activeOperations: () => system.activeOperationCount(),
    configFile: () => system.getConfigFileStatus?.() ?? null,
    traceUrlTemplate: adminConfig.traceUrlTemplate,
  };
  const server = createAdminServer({
    config: adminConfig,
    health,
    metrics: (req: IncomingMessage, res: ServerResponse) => monitor.handleMetricsRequest(req, res),
    status: (query: URLSearchParams) => buildStatusDocument(sources, query),
    isShuttingDown: () => shutdown.isShuttingDown() || shutdown.isShutdownInitiated(),
  });
  // Tracks connections from the start, so the shutdown never resets a keep-alive scraper or probe.
  const closeHandler = createServerCloseHandler(server.server);
  const address = await server.listen();
  shutdown.registerHandler('admin_server', closeHandler);
  if (system.config.monitoring.externalUrl === undefined) monitor.setExternalUrl(adminUrl(address));
  return { server, address };
}
