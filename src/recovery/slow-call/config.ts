import { z } from 'zod';

/** Schema of {@link SlowCallConfig}. */
export const slowCallConfigSchema = z.strictObject({
  /** A call that has run this long is slow, whether it has returned yet or not. */
  thresholdMs: z.number().int().min(1).max(86_400_000),
  /** Share of slow calls (finished, plus those still in flight past the threshold) at which the breaker opens. */
  rateThreshold: z.number().gt(0).max(1).default(0.5),
  /** Calls (finished within the window, plus slow ones in flight) needed before the rate counts. */
  minimumCalls: z.number().int().min(1).max(1_000_000).default(10),
  /** Sliding window over which finished calls are counted. */
  windowMs: z.number().int().min(100).max(86_400_000).default(10_000),
});

/**
 * Resilience4j's slow-call-rate threshold, with the calls still running counted as soon as they pass
 * `thresholdMs` (Resilience4j issue 1597), so a dependency that starts hanging opens the breaker before the
 * hung calls time out.
 */
export type SlowCallConfig = z.output<typeof slowCallConfigSchema>;
