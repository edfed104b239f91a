/** The admin HTTP server and the same endpoints for your own node:http, Express or Fastify server. */
export { createAdminServer, type AdminServer, type AdminServerOptions, type AdminServerConfigInput } from './server.js';
export { AdminServerError, type AdminServerErrorCode } from './errors.js';
export { createAdminRequestHandler, writeAdminResponse, type AdminRequestHandler } from './node-handler.js';
export { createExpressAdminMiddleware, type ExpressAdminMiddleware } from './express.js';
export { createFastifyAdminPlugin, type FastifyAdminPlugin, type FastifyInstanceLike, type FastifyReplyLike, type FastifyRequestLike } from './fastify.js';
export {
  AdminRoutes,
  ADMIN_ROUTES,
  PROMETHEUS_CONTENT_TYPE,
  HEALTH_CONTENT_TYPE,
  HTML_CONTENT_TYPE,
  isMetricsRequestHandler,
  type AdminHandlerOptions,
  type AdminRequest,
  type AdminResponse,
  type HealthSource,
  type AdminMetricsSource,
  type MetricsRequestHandler,
  type MetricsTextSource,
} from './routes.js';
export { renderHealthDocument, renderReadyzVerbose, readiness, type IetfCheck, type IetfHealthDocument, type HealthDocumentIdentity } from './render.js';
export * from './config.js';
export { buildStatusDocument, STATUS_LIMITS, type StatusSources } from './status-data.js';
export type { StatusDocument, ComponentRow, OperationRow, ResourceRow, AlertRow, LogRow, TraceRow } from './status-types.js';
export { STATUS_PAGE_HTML, STATUS_PAGE_CSP } from './status-page.js';
