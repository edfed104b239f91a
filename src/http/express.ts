import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAdminRequestHandler } from './node-handler.js';
import type { AdminHandlerOptions } from './routes.js';

/**
 * An Express middleware (Express 4 or 5, typed structurally so Express stays optional): mount it with
 * `app.use(mw)` or `app.use('/admin', mw)`. Paths that are not admin routes go to `next()`.
 */
export type ExpressAdminMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** The admin endpoints as Express middleware. */
export function createExpressAdminMiddleware(options: AdminHandlerOptions = {}): ExpressAdminMiddleware {
  const handler = createAdminRequestHandler(options);
  // Express strips the mount path from req.url and keeps node's req/res, so the node handler fits as it is.
  return (req, res, next) => handler(req, res, next);
}
