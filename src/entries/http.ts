/**
 * `@llmkg/production/http`: the admin server (`system.startAdminServer()` starts one), the status document it
 * serves, and correlation IDs from incoming requests. The handlers for your own node:http, Express or Fastify
 * server and the overload guard are in the root entry. `api/production-http.api.md` is the report of this surface. The types
 * its signatures share with the root entry are exported there (`@llmkg/production`), not again here.
 *
 * @module @llmkg/production/http
 */
export { createAdminServer, type AdminServer, type AdminServerOptions } from '../http/server.js';
export { AdminServerError, type AdminServerErrorCode } from '../http/errors.js';
export { adminServerConfigSchema } from '../http/config.js';
export { buildStatusDocument, type StatusSources } from '../http/status-data.js';
export type {
  StatusDocument,
  StatusComponent,
  OperationRow,
  ResourceRow,
  AlertRow,
  LogRow,
  StatusHeadline,
  TraceRow,
} from '../http/status-types.js';
export {
  CORRELATION_ID_PATTERN,
  MAX_CORRELATION_ID_LENGTH,
  isValidCorrelationId,
  correlationIdFromHeaders,
  currentCorrelationId,
  type CorrelationIdSource,
  type CorrelationIdRejected,
} from '../telemetry/index.js';
