import type { RetryConfig } from './config.js';

/**
 * Delay before retry number `retry` (1-based): `baseDelayMs * backoffMultiplier^(retry-1)`, capped at
 * `maxDelayMs`, then spread by +/- `jitterFactor` so many callers failing together do not retry together.
 * The result never exceeds `maxDelayMs` and is never negative.
 */
export function retryDelayMs(config: RetryConfig, retry: number, random: () => number = Math.random): number {
  const exponential = config.baseDelayMs * Math.pow(config.backoffMultiplier, Math.max(0, retry - 1));
  const capped = Math.min(config.maxDelayMs, exponential);
  if (config.jitterFactor === 0) return capped;
  const spread = capped * config.jitterFactor * (random() * 2 - 1);
  return Math.max(0, Math.min(config.maxDelayMs, capped + spread));
}
