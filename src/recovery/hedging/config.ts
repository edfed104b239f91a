import { z } from 'zod';

/** Schema of {@link HedgingConfig}. */
export const hedgingConfigSchema = z.strictObject({
  /** Extra attempts a call may start while its first is still running (each takes a retry-budget token). */
  maxHedgedAttempts: z.number().int().min(1).max(5).default(1),
  /** Fixed wait before a hedge starts; when unset, the operation's recent `quantile` of attempt durations. */
  delayMs: z.number().int().min(1).max(3_600_000).optional(),
  /** Quantile of the recent attempt durations to wait before hedging (0.95: only the slowest 5 % are hedged). */
  quantile: z.number().min(0.5).max(0.999).default(0.95),
  /** Attempt durations needed before the quantile is trusted; with fewer, no hedge starts. */
  minSamples: z.number().int().min(1).max(65_536).default(20),
  /** Recent attempt durations kept for the quantile (a ring). */
  samples: z.number().int().min(16).max(65_536).default(512),
});

/**
 * Hedging of an idempotent operation: when an attempt has run longer than the delay, one more starts beside
 * it; the first success wins and the others are aborted through their `ctx.signal`.
 */
export type HedgingConfig = z.output<typeof hedgingConfigSchema>;
