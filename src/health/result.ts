import type { CheckStatus } from './status.js';

/**
 * What a health check returns (the seed's `HealthCheckResult`). Every field is optional: returning nothing
 * (or resolving `undefined`) means healthy, throwing means a failure.
 */
export interface HealthCheckResult {
  /** The check's verdict; default `healthy`. `critical` counts as a failure towards the thresholds. */
  status?: CheckStatus;
  /** The measured value, e.g. a latency or a utilisation (IETF `observedValue`). */
  observedValue?: number | string | boolean;
  /** Unit of `observedValue`, e.g. `ms`, `percent`, `bytes` (IETF `observedUnit`). */
  observedUnit?: string;
  /** Human-readable explanation, mostly for non-healthy results (IETF `output`). */
  output?: string;
  /** Extra plain-JSON facts about the component, shown only to authorised readers. */
  details?: Record<string, unknown>;
  /** The IETF measurement name: the check is keyed `component:measurement`. Default `status`. */
  measurement?: string;
  /** The IETF `componentType`, e.g. `datastore`, `system`. Default `component`. */
  componentType?: string;
}

/**
 * A health check: resolves a {@link HealthCheckResult} (or nothing for healthy), throws for a failure. It
 * must stop work when `signal` aborts (timeout or shutdown); past the timeout its result is ignored anyway.
 * An optional `close()` is called when the component is unregistered or the system shuts down.
 */
export type HealthCheck = ((signal: AbortSignal) => Promise<HealthCheckResult | void> | HealthCheckResult | void) & {
  close?(): void;
};

/** Longest `output` kept per result, so a check returning a huge message cannot grow memory. */
export const MAX_OUTPUT_LENGTH = 1024;

/** One finished run of a check, as the component records it. */
export interface CheckOutcome {
  /** The verdict of this run. */
  readonly status: CheckStatus;
  /** The result with `output` bounded (on failure: the error message as `output`). */
  readonly result: HealthCheckResult;
  /** Error message when the check threw or timed out. */
  readonly error: string | undefined;
  /** `error.type` of the failure (error class name, or `TIMEOUT`). */
  readonly errorType: string | undefined;
  /** True when the run was cut off by its timeout. */
  readonly timedOut: boolean;
  /** Run time in milliseconds. */
  readonly durationMs: number;
  /** Wall-clock time the run finished, epoch milliseconds. */
  readonly time: number;
}

/** Clips a string to {@link MAX_OUTPUT_LENGTH}. */
export function boundOutput(text: string): string {
  return text.length <= MAX_OUTPUT_LENGTH ? text : `${text.slice(0, MAX_OUTPUT_LENGTH - 1)}…`;
}

const CHECK_STATUSES = new Set<string>(['healthy', 'warning', 'critical']);

/** Validates what a check resolved; anything that is not a result object is a programming error. */
export function normaliseResult(value: unknown): HealthCheckResult {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`a health check must resolve a result object or nothing, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  const result = value as HealthCheckResult;
  if (result.status !== undefined && !CHECK_STATUSES.has(result.status)) {
    throw new TypeError(`a health check result's status must be healthy, warning or critical, got ${String(result.status)}`);
  }
  return result.output !== undefined && typeof result.output === 'string' && result.output.length > MAX_OUTPUT_LENGTH
    ? { ...result, output: boundOutput(result.output) }
    : result;
}
