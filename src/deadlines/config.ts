import { z } from 'zod';

/** Longest deadline read from an incoming request unless configured otherwise: five minutes. */
export const DEFAULT_MAX_INCOMING_DEADLINE_MS = 300_000;

/** Schema of {@link DeadlinesConfig}. */
export const deadlinesConfigSchema = z.strictObject({
  /**
   * Time kept back from a deadline: a call with less left is refused with DEADLINE_EXCEEDED, a retry is not
   * started with less left, and every attempt's timeout ends this long before the deadline.
   */
  marginMs: z.number().int().min(0).max(60_000).default(10),
  /** Cap on a deadline read from an incoming request's headers; a longer one is cut to this. */
  maxIncomingMs: z.number().int().min(1).max(86_400_000).default(DEFAULT_MAX_INCOMING_DEADLINE_MS),
});

/** Deadlines that travel with a call, inside the process and across services. */
export type DeadlinesConfig = z.output<typeof deadlinesConfigSchema>;
