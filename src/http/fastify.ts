import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { closeConnectionAfter } from '../internal/connection-close.js';
import { ADMIN_ROUTES, AdminRoutes, type AdminHandlerOptions } from './routes.js';

/** The parts of a Fastify request the plugin uses. */
export interface FastifyRequestLike {
  readonly url: string;
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: IncomingMessage;
}

/** The parts of a Fastify reply the plugin uses. */
export interface FastifyReplyLike {
  code(statusCode: number): FastifyReplyLike;
  header(key: string, value: string): FastifyReplyLike;
  send(payload?: string | Buffer): FastifyReplyLike;
  hijack(): unknown;
  readonly raw: ServerResponse;
}

/** The parts of a Fastify instance the plugin uses (Fastify itself stays optional). */
export interface FastifyInstanceLike {
  get(path: string, handler: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<unknown>): unknown;
}

/** A Fastify plugin: `await app.register(plugin)` or `app.register(plugin, { prefix: '/admin' })`. */
export type FastifyAdminPlugin = (instance: FastifyInstanceLike) => Promise<void>;

const PLACEHOLDER_ORIGIN = 'http://admin.invalid';

/** The admin endpoints as a Fastify plugin (GET routes; Fastify adds HEAD itself). */
export function createFastifyAdminPlugin(options: AdminHandlerOptions = {}): FastifyAdminPlugin {
  const routes = new AdminRoutes(options);
  // A plugin that returns a promise needs no `done` callback; there is nothing to await, so it is not async.
  return (instance) => {
    for (const path of ADMIN_ROUTES) {
      instance.get(path, async (request, reply) => {
        const metricsHandler = path === '/metrics' ? routes.metricsRequestHandler : undefined;
        if (metricsHandler) {
          // The handler writes to node's response itself, so Fastify must step aside.
          reply.hijack();
          if (routes.closingConnections()) closeConnectionAfter(reply.raw);
          metricsHandler(request.raw, reply.raw);
          return reply;
        }
        const query = new URL(request.url, PLACEHOLDER_ORIGIN).searchParams;
        const authorization = request.headers.authorization;
        const response = await routes.handle({ method: request.method, path, query, authorization });
        // handle() knows every path registered here, so a response always exists.
        const { status, headers, body } = response!;
        reply.code(status);
        for (const [key, value] of Object.entries(headers)) reply.header(key, value);
        // A Buffer keeps Fastify from appending a charset to our content types.
        return reply.send(Buffer.from(body));
      });
    }
    return Promise.resolve();
  };
}
