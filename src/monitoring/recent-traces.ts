import { createGuard, type Guard } from '../guard.js';

/** One finished protected-operation span, as the status page lists it. */
export interface TraceSummary {
  readonly traceId: string;
  readonly spanId: string;
  /** `production.operation.name`. */
  readonly operation: string;
  /** `production.outcome` (`success`, `error`, `rejected`), or `unknown` when the span has none. */
  readonly outcome: string;
  readonly durationMs: number;
  /** End time, ms since the epoch. */
  readonly endedAt: number;
  readonly correlationId: string | undefined;
  /** `error.type` on failure. */
  readonly errorType: string | undefined;
}

/** What keeps recent spans (the SpanProcessor of `@llmkg/production/sdk`). */
export interface RecentTraceSource {
  /** Newest first, at most `limit`. */
  recent(limit: number): TraceSummary[];
  /** How many it holds at most. */
  readonly capacity: number;
}

interface RegistryState {
  source: RecentTraceSource | undefined;
}

// On globalThis so the ESM and CJS builds, and the main and `/sdk` entries, share one registry.
const KEY = Symbol.for('@llmkg/production.recent-traces');

function state(): RegistryState {
  const holder = globalThis as unknown as Record<symbol, RegistryState | undefined>;
  return (holder[KEY] ??= { source: undefined });
}

/**
 * Where the SDK-side ring of recent operation spans meets its readers (the status page), so nothing
 * outside `src/sdk/` imports an SDK package.
 */
export const recentTraces = {
  /** Registers the ring; the guard unregisters it (only if it is still the current one). */
  setSource(source: RecentTraceSource): Guard {
    const s = state();
    s.source = source;
    return createGuard(() => {
      if (s.source === source) s.source = undefined;
    });
  },

  /** The registered ring, if any. */
  source(): RecentTraceSource | undefined {
    return state().source;
  },

  /** Recent operation spans, newest first; empty when no ring is registered. */
  list(limit = 50): TraceSummary[] {
    return state().source?.recent(limit) ?? [];
  },
};
