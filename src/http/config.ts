import { z } from 'zod';

/** Schema of the admin HTTP server section. */
export const adminServerConfigSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(9464),
  /** When set, component details and the status page need `Authorization: Bearer <token>`. */
  bearerToken: z.string().min(8).optional(),
  /** Trace link template for the status page, e.g. `http://localhost:16686/trace/{traceId}`. */
  traceUrlTemplate: z.string().optional(),
});

/** Admin server section of the production config. */
export type AdminServerConfig = z.output<typeof adminServerConfigSchema>;
