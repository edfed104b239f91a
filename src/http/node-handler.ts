import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeConnectionAfter } from '../internal/connection-close.js';
import { guarded } from '../telemetry/internal-errors.js';
import { AdminRoutes, routeOf, type AdminHandlerOptions, type AdminResponse } from './routes.js';

/** A node:http request handler; with `next`, paths that are not admin routes are passed on instead of 404. */
export type AdminRequestHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

const PLACEHOLDER_ORIGIN = 'http://admin.invalid';

/** Writes an {@link AdminResponse} to a node:http response (no body for HEAD). */
export function writeAdminResponse(res: ServerResponse, method: string | undefined, response: AdminResponse): void {
  res.writeHead(response.status, { ...response.headers, 'content-length': String(Buffer.byteLength(response.body)) });
  res.end(method === 'HEAD' ? undefined : response.body);
}

function fail(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy(error instanceof Error ? error : undefined);
    return;
  }
  writeAdminResponse(res, 'GET', { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'internal error\n' });
}

/**
 * The admin endpoints as a node:http handler, for your own server: `/livez`, `/readyz`, `/health`,
 * `/metrics`, `/status`, `/status.json`. Unknown paths: `next()` when given, else 404.
 */
export function createAdminRequestHandler(options: AdminHandlerOptions = {}): AdminRequestHandler {
  return handlerFor(new AdminRoutes(options));
}

/** The node:http handler over existing routes. */
export function handlerFor(routes: AdminRoutes): AdminRequestHandler {
  return (req, res, next) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', PLACEHOLDER_ORIGIN);
    } catch {
      writeAdminResponse(res, req.method, { status: 400, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'bad request\n' });
      return;
    }
    const method = req.method ?? 'GET';
    const metricsHandler = routes.metricsRequestHandler;
    if (metricsHandler && (method === 'GET' || method === 'HEAD') && routeOf(url.pathname) === '/metrics') {
      if (routes.closingConnections()) closeConnectionAfter(res);
      try {
        metricsHandler(req, res);
      } catch (error) {
        fail(res, error);
      }
      return;
    }
    routes
      .handle({ method, path: url.pathname, query: url.searchParams, authorization: req.headers.authorization })
      .then((response) => {
        if (response) writeAdminResponse(res, method, response);
        else if (next) next();
        else
          writeAdminResponse(res, method, { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'not found\n' });
      })
      // Also catches a throw while writing (or in `next`): a request must never become an unhandled rejection.
      .catch(guarded('admin_server', (error: unknown) => fail(res, error)));
  };
}
