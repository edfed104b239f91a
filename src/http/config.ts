import { z } from 'zod';

const ms = (min: number, max: number, fallback: number) => z.number().int().min(min).max(max).default(fallback);

/** Schema of the admin HTTP server section. */
export const adminServerConfigSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(9464),
    /** When set, component details and the status page need `Authorization: Bearer <token>`. */
    bearerToken: z.string().min(8).optional(),
    /** Trace link template for the status page, e.g. `http://localhost:16686/trace/{traceId}`. */
    traceUrlTemplate: z
      .string()
      .refine((template) => template.includes('{traceId}'), {
        message: 'must contain {traceId}, where the trace ID goes (e.g. http://localhost:16686/trace/{traceId})',
      })
      .optional(),
    /**
     * Longest a client may take to send a request's headers, counted from the connection (or the previous
     * response): then it gets 408 and the connection is closed. Also closes connections that send nothing.
     */
    headersTimeoutMs: ms(100, 600_000, 10_000),
    /** Longest a whole request (headers and body) may take to arrive; at least `headersTimeoutMs`. */
    requestTimeoutMs: ms(100, 3_600_000, 30_000),
    /** How long an idle keep-alive connection is kept after a response. */
    keepAliveTimeoutMs: ms(100, 600_000, 5_000),
    /** A connection with no traffic at all for this long is closed, whatever its state. */
    idleTimeoutMs: ms(1_000, 3_600_000, 30_000),
    /**
     * Open connections at most; at the cap a new connection closes the longest-idle one that has no request in
     * flight (counted as evicted), or is itself closed at once when all are busy (counted as dropped).
     */
    maxConnections: z.number().int().min(1).max(1_000_000).default(256),
  })
  .refine((c) => c.requestTimeoutMs >= c.headersTimeoutMs, { path: ['requestTimeoutMs'], message: 'must be at least headersTimeoutMs' });

/** Admin server section of the production config. */
export type AdminServerConfig = z.output<typeof adminServerConfigSchema>;
