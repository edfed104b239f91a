import { z } from 'zod';
import { InvalidConfigError } from '../errors.js';
import type { RateLimitScope } from '../errors.js';
import type { SavedCells } from './keyed-limiter.js';

/** One limiter's saved state: which limit, under which policy, and its cells (times relative to `savedAtMs`). */
export interface SavedLimiter {
  /** The limit's scope. */
  readonly scope: RateLimitScope;
  /** The operation's name, the user's own policy's key, or null (global, and the per-user default). */
  readonly key: string | null;
  /** The policy the cells were counted under; a restore skips limiters whose policy changed. */
  readonly policy: unknown;
  /** [key, ...numbers] per cell; the key is `''` for single-cell limiters. */
  readonly cells: SavedCells;
}

/** The in-memory limiters' state, as checkpointed at shutdown (`RateLimitingManager.exportState`). */
export interface LimiterState {
  /** Format version. */
  readonly version: 1;
  /** When it was taken, ms since the epoch: the elapsed time since counts as time passed for every limiter. */
  readonly savedAtMs: number;
  /** Limiters that hold anything worth keeping. */
  readonly limiters: SavedLimiter[];
}

const finite = z.number().refine(Number.isFinite, 'must be finite');
const stateSchema = z.object({
  version: z.literal(1),
  savedAtMs: finite,
  limiters: z.array(
    z.object({
      scope: z.enum(['global', 'operation', 'user']),
      key: z.string().max(4096).nullable(),
      policy: z.record(z.string(), z.unknown()),
      cells: z.array(z.tuple([z.string().max(4096)], finite)),
    }),
  ),
});

/**
 * The limiters of a saved state, validated (a checkpoint is read back from disk: INVALID_CONFIG at
 * `rateLimitState` names what is wrong), each with the time it was saved on the clock whose reading is `now`.
 * A state from the future (a wall clock stepped back) counts as saved now.
 */
export function savedLimiters(state: unknown, now: number): { saved: SavedLimiter; savedAt: number }[] {
  const parsed = stateSchema.safeParse(state);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidConfigError(['rateLimitState', ...issue.path.map(String)].join('.'), issue.message);
  }
  const savedAt = now - Math.max(0, Date.now() - parsed.data.savedAtMs);
  return parsed.data.limiters.map((saved) => ({ saved, savedAt }));
}
