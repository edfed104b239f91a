import type { Attributes } from '@opentelemetry/api';
import { ATTR } from '../telemetry/names.js';
import type { RateLimiterConfig } from './config.js';

/** Name under which operations past the cap are counted. */
export const OTHER_OPERATION = '_other';

/** One operation's limit and decision counters (plain numbers: the hot path only increments them). */
export class OperationEntry {
  /** Its own limit, when configured (the store keeps its state). */
  config: RateLimiterConfig | undefined;
  globalAllowed = 0;
  globalRejected = 0;
  operationAllowed = 0;
  operationRejected = 0;
  userAllowed = 0;
  userRejected = 0;
  private attrs: Attributes[] | undefined;

  constructor(readonly name: string) {}

  /** Metric attribute sets, built once: [scope × decision] in the order global, operation, user. */
  attributes(): Attributes[] {
    if (this.attrs !== undefined) return this.attrs;
    const out: Attributes[] = [];
    for (const scope of ['global', 'operation', 'user']) {
      for (const decision of ['allowed', 'rejected']) {
        out.push({ [ATTR.rateLimitScope]: scope, [ATTR.operationName]: this.name, [ATTR.decision]: decision });
      }
    }
    return (this.attrs = out);
  }

  /** The counters in the order of `attributes()`. */
  counts(): [number, number, number, number, number, number] {
    return [this.globalAllowed, this.globalRejected, this.operationAllowed, this.operationRejected, this.userAllowed, this.userRejected];
  }
}

/**
 * Operation entries by name, capped: past `maxEntries` unconfigured names share the `_other` entry, so
 * arbitrary operation names cannot grow memory or metric cardinality. Entries are never evicted, so a
 * reference held by a caller stays valid. Configured operations always get their own entry.
 */
export class OperationTable {
  private readonly map = new Map<string, OperationEntry>();
  /** Shared entry of operations past the cap. */
  readonly other = new OperationEntry(OTHER_OPERATION);

  constructor(private readonly maxEntries: number) {}

  /** The entry of `name` (created on first sight, or `_other` past the cap). */
  get(name: string): OperationEntry {
    return this.map.get(name) ?? this.add(name, false);
  }

  /** The entry of `name`, created even past the cap (for configuration). */
  own(name: string): OperationEntry {
    return this.map.get(name) ?? this.add(name, true);
  }

  /** Every entry, `_other` last when used. */
  *entries(): IterableIterator<OperationEntry> {
    yield* this.map.values();
    if (this.other.counts().some((n) => n > 0)) yield this.other;
  }

  /** Distinct operations tracked. */
  get size(): number {
    return this.map.size;
  }

  private add(name: string, force: boolean): OperationEntry {
    if (!force && this.map.size >= this.maxEntries) return this.other;
    const entry = new OperationEntry(name);
    this.map.set(name, entry);
    return entry;
  }
}
