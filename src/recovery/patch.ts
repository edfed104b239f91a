import type { OperationRecoveryConfig } from './config.js';

/**
 * A partial operation config; nested sections merge field by field, `false` turns a policy off. A group nested in
 * a section (`circuitBreaker.slowCall`) replaces the current one whole, so its own fields are optional too.
 */
export type OperationPatch = {
  [K in keyof OperationRecoveryConfig]?: OperationRecoveryConfig[K] extends infer V
    ? V extends object
      ? | { [P in keyof V]?: V[P] extends (...args: never[]) => unknown ? V[P] : V[P] extends object | undefined ? Partial<V[P]> : V[P] }
        | false
      : V
    : never;
};

/** `patch` merged over `base`: nested sections field by field, `false` and plain values as given. */
export function mergePatch(base: OperationRecoveryConfig | OperationPatch, patch: OperationPatch): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const current = out[key];
    const bothObjects = typeof value === 'object' && value !== null && typeof current === 'object' && current !== null;
    out[key] = bothObjects ? { ...current, ...value } : value;
  }
  return out;
}

/** True when two settings serialise the same (functions aside). */
export function sameSettings(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
