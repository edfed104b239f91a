/** The admin HTTP server and the same endpoints for your own node:http, Express or Fastify server. */
export { createAdminServer, type AdminServer, type AdminServerOptions, type AdminServerConfigInput } from './server.js';
export { AdminServerError, type AdminServerErrorCode } from './errors.js';
export { errorResponse, type ErrorResponse } from './error-response.js';
export { setRateLimitHeaders, type HeaderTarget } from './rate-limit-headers.js';
export {
  createOverloadGuard,
  withOverloadGuard,
  createExpressOverloadMiddleware,
  createFastifyOverloadHook,
  type OverloadGuard,
  type OverloadGuardOptions,
  type OverloadGuardSource,
  type RequestAdmission,
  type FastifyOverloadHook,
} from './overload-guard.js';
export { createAdminRequestHandler, type AdminRequestHandler } from './node-handler.js';
export { createExpressAdminMiddleware, type ExpressAdminMiddleware } from './express.js';
export {
  createFastifyAdminPlugin,
  type FastifyAdminPlugin,
  type FastifyInstanceLike,
  type FastifyReplyLike,
  type FastifyRequestLike,
} from './fastify.js';
export type { AdminHandlerOptions, HealthSource, AdminMetricsSource, MetricsRequestHandler, MetricsTextSource } from './routes.js';
export type { HealthDocumentIdentity } from './render.js';
export { adminServerConfigSchema, type AdminServerConfig } from './config.js';
export { buildStatusDocument, type StatusSources } from './status-data.js';
export type {
  StatusDocument,
  StatusComponent,
  OperationRow,
  ResourceRow,
  AlertRow,
  LogRow,
  StatusHeadline,
  TraceRow,
} from './status-types.js';
