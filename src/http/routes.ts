import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SystemHealthReport } from '../health/report.js';
import { createBearerCheck } from './auth.js';
import { readiness, renderHealthDocument, renderReadyzVerbose, type HealthDocumentIdentity } from './render.js';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from './status-page.js';

/** Where the probes read health from; `HealthCheckSystem` is one. Must not run checks (probes answer from held results). */
export interface HealthSource {
  getHealthReport(): SystemHealthReport;
}

/** A node:http-style handler that writes the Prometheus exposition itself (e.g. the OTel exporter's). */
export type MetricsRequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The Prometheus exposition as text. */
export type MetricsTextSource = () => Promise<string> | string;

/**
 * Where `/metrics` comes from. A function declaring two parameters is a {@link MetricsRequestHandler};
 * any other is a {@link MetricsTextSource}.
 */
export type AdminMetricsSource = MetricsRequestHandler | MetricsTextSource;

/** What the admin handlers serve. Every source is optional; a missing one makes its route 404. */
export interface AdminHandlerOptions extends HealthDocumentIdentity {
  /** Health results for `/readyz` and `/health` (a `HealthCheckSystem`). */
  health?: HealthSource;
  /** `/metrics`. */
  metrics?: AdminMetricsSource;
  /**
   * `/status.json`: any JSON-serialisable value, given the request's query (e.g. `buildStatusDocument`,
   * which reads `level`, `correlationId`, `logs` and `traces`). With it, `/status` serves the status page
   * that polls `/status.json`.
   */
  status?: (query: URLSearchParams) => unknown;
  /**
   * True while shutting down: `/readyz` and `/health` answer 503 (liveness is unaffected) and every response
   * carries `Connection: close`, so clients do not reuse the connection. Pass
   * `() => shutdown.isShutdownInitiated()` to start both at the first phase of a graceful shutdown.
   */
  isShuttingDown?: () => boolean;
  /** When set, health details and the status need `Authorization: Bearer <token>`. */
  bearerToken?: string;
}

/** One request as the routes see it. */
export interface AdminRequest {
  method: string;
  /** Path relative to where the handlers are mounted, e.g. `/readyz`. */
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
}

/** A finished response. */
export interface AdminResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Content type of `/metrics` (Prometheus text format 0.0.4). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** Content type of the `/status` page. */
export const HTML_CONTENT_TYPE = 'text/html; charset=utf-8';
/** Content type of `/health`. */
export const HEALTH_CONTENT_TYPE = 'application/health+json';

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
/** Every route the handlers own, relative to their mount point. */
export const ADMIN_ROUTES = ['/livez', '/readyz', '/health', '/metrics', '/status', '/status.json'] as const;
const ROUTES = new Set<string>(ADMIN_ROUTES);

function respond(status: number, contentType: string, body: string, extra?: Record<string, string>): AdminResponse {
  return { status, headers: { 'content-type': contentType, 'cache-control': 'no-store', ...extra }, body };
}

/** Normalises a path: one trailing slash is ignored. */
export function routeOf(path: string): string | undefined {
  const p = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return ROUTES.has(p) ? p : undefined;
}

/** True when `metrics` writes the response itself. */
export function isMetricsRequestHandler(metrics: AdminMetricsSource | undefined): metrics is MetricsRequestHandler {
  return typeof metrics === 'function' && metrics.length >= 2;
}

function excluded(query: URLSearchParams): Set<string> {
  const out = new Set<string>();
  for (const value of query.getAll('exclude')) for (const name of value.split(',')) if (name.trim()) out.add(name.trim());
  return out;
}

function flag(query: URLSearchParams, name: string): boolean {
  if (!query.has(name)) return false;
  const value = query.get(name)!.toLowerCase();
  return value !== 'false' && value !== '0';
}

/**
 * The admin routes, independent of any HTTP framework. `handle` answers a known route (405 for a method
 * other than GET/HEAD) and resolves `undefined` for any other path, so adapters can pass it on. Probes read
 * held results only: a burst of probes never runs a check.
 */
export class AdminRoutes {
  private readonly authorised: (authorization: string | undefined) => boolean;
  private readonly identity: HealthDocumentIdentity;

  constructor(private readonly options: AdminHandlerOptions = {}) {
    this.authorised = createBearerCheck(options.bearerToken);
    this.identity = {
      ...(options.serviceId !== undefined ? { serviceId: options.serviceId } : {}),
      ...(options.version !== undefined ? { version: options.version } : {}),
      ...(options.description !== undefined ? { description: options.description } : {}),
    };
  }

  /** The `/metrics` handler that writes responses itself, when that is the configured kind. */
  get metricsRequestHandler(): MetricsRequestHandler | undefined {
    return isMetricsRequestHandler(this.options.metrics) ? this.options.metrics : undefined;
  }

  /** True while shutting down: responses then carry `Connection: close`. */
  closingConnections(): boolean {
    return this.options.isShuttingDown?.() ?? false;
  }

  /** Answers `request`, or `undefined` when the path is not an admin route. */
  async handle(request: AdminRequest): Promise<AdminResponse | undefined> {
    const response = await this.answer(request);
    if (response !== undefined && this.closingConnections()) response.headers.connection = 'close';
    return response;
  }

  private async answer(request: AdminRequest): Promise<AdminResponse | undefined> {
    const route = routeOf(request.path);
    if (route === undefined) return undefined;
    if (request.method !== 'GET' && request.method !== 'HEAD') return respond(405, TEXT, 'method not allowed\n', { allow: 'GET, HEAD' });
    try {
      switch (route) {
        case '/livez':
          return respond(200, TEXT, flag(request.query, 'verbose') ? '[+]ping ok\nlivez check passed\n' : 'ok\n');
        case '/readyz':
          return this.readyz(request);
        case '/health':
          return this.health(request);
        case '/metrics':
          return await this.metrics();
        case '/status':
          return this.statusPage();
        default:
          return await this.status(request);
      }
    } catch (error) {
      return respond(500, TEXT, `internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }

  private shuttingDown(report: SystemHealthReport | undefined): boolean {
    return (this.options.isShuttingDown?.() ?? false) || (report?.shuttingDown ?? false);
  }

  private readyz(request: AdminRequest): AdminResponse {
    const report = this.options.health?.getHealthReport();
    const shuttingDown = this.shuttingDown(report);
    const exclude = excluded(request.query);
    if (!report) return respond(shuttingDown ? 503 : 200, TEXT, shuttingDown ? 'shutting down\n' : 'ok\n');
    const ready = readiness(report, shuttingDown, exclude);
    const verbose = flag(request.query, 'verbose');
    // Like Kubernetes: a failure always lists the checks, so the probe log says why.
    const body =
      ready && !verbose ? 'ok\n' : renderReadyzVerbose(report, shuttingDown, exclude, ready, this.authorised(request.authorization));
    return respond(ready ? 200 : 503, TEXT, body);
  }

  private health(request: AdminRequest): AdminResponse {
    const report = this.options.health?.getHealthReport();
    const shuttingDown = this.shuttingDown(report);
    if (!report) {
      return respond(
        shuttingDown ? 503 : 200,
        HEALTH_CONTENT_TYPE,
        JSON.stringify({ status: shuttingDown ? 'fail' : 'pass', ...this.identity }),
      );
    }
    const doc = renderHealthDocument(report, shuttingDown, this.authorised(request.authorization), this.identity);
    return respond(doc.status === 'fail' ? 503 : 200, HEALTH_CONTENT_TYPE, JSON.stringify(doc));
  }

  private async metrics(): Promise<AdminResponse> {
    const source = this.options.metrics;
    if (source === undefined) return respond(404, TEXT, 'no metrics source is configured\n');
    if (isMetricsRequestHandler(source))
      throw new Error('this metrics source writes the response itself; the adapter must call it with (req, res)');
    return respond(200, PROMETHEUS_CONTENT_TYPE, await (source as MetricsTextSource)());
  }

  // The page holds no data (it asks for the token and fetches /status.json), so it is served to anyone
  // who may reach the admin server; the CSP allows only its own inline blocks and same-origin fetches.
  private statusPage(): AdminResponse {
    if (this.options.status === undefined) return respond(404, TEXT, 'no status source is configured\n');
    return respond(200, HTML_CONTENT_TYPE, STATUS_PAGE_HTML, {
      'content-security-policy': STATUS_PAGE_CSP,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
  }

  private async status(request: AdminRequest): Promise<AdminResponse> {
    if (this.options.status === undefined) return respond(404, TEXT, 'no status source is configured\n');
    if (!this.authorised(request.authorization)) {
      return respond(401, TEXT, 'a bearer token is required\n', { 'www-authenticate': 'Bearer realm="admin"' });
    }
    return respond(200, JSON_TYPE, JSON.stringify(await this.options.status(request.query)), { 'x-content-type-options': 'nosniff' });
  }
}
