import { ThrottledError, codeTraitsOf } from '../errors.js';
import type { Clock } from '../internal/time.js';
import type { ThrottleConfig } from '../dependencies/config.js';
import type { ThrottleSnapshot } from './snapshot.js';

export type { ThrottleSnapshot } from './snapshot.js';

function httpStatusOf(error: object): unknown {
  const e = error as { status?: unknown; statusCode?: unknown; response?: { status?: unknown; statusCode?: unknown } };
  return e.status ?? e.statusCode ?? e.response?.status ?? e.response?.statusCode;
}

/**
 * The default "accepted" hook of client-side throttling: a call counts as accepted by the dependency unless it
 * failed with an overload-type refusal: HTTP 429 or 503 (an error's `status`, `statusCode` or
 * `response.status`), or a code of this library that answers 429 or 503 (`ERROR_CODES`' `throttleAccepted`:
 * `OVERLOADED`, `RATE_LIMITED`, `THROTTLED`, `CIRCUIT_OPEN`, `BULKHEAD_REJECTED`, `SHUTTING_DOWN`,
 * `RESOURCE_EXHAUSTED`, as a nested service's error would carry). Any other failure means the dependency did
 * take the call.
 */
export function defaultAccepted(error: unknown): boolean {
  if (error === undefined || error === null || typeof error !== 'object') return true;
  const status = httpStatusOf(error);
  if (status === 429 || status === 503) return false;
  return codeTraitsOf(error)?.throttleAccepted ?? true;
}

/**
 * Client-side adaptive throttling of one dependency (Google SRE book, "Handling Overload"): over a sliding
 * window, a call is refused locally with probability max(0, (requests - k x accepts) / (requests + 1)), so a
 * backend that refuses most of what it is sent stops receiving it, and the share sent rises again as it accepts.
 * Counts live in a ring of buckets: memory is fixed, each call is O(1).
 */
export class ClientThrottle {
  /** Calls refused locally since start. */
  throttled = 0;
  private readonly requestBuckets: Float64Array;
  private readonly acceptBuckets: Float64Array;
  private readonly bucketMs: number;
  private requests = 0;
  private accepts = 0;
  private bucket: number;
  private readonly isAccepted: (error: unknown) => boolean;

  constructor(
    /** The named dependency. */
    readonly dependency: string,
    /** Its settings. */
    readonly config: ThrottleConfig,
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
  ) {
    this.requestBuckets = new Float64Array(config.buckets);
    this.acceptBuckets = new Float64Array(config.buckets);
    this.bucketMs = config.windowMs / config.buckets;
    this.bucket = Math.floor(clock.monotonic() / this.bucketMs);
    this.isAccepted = config.accepted ?? defaultAccepted;
  }

  /** The refusal probability now, 0 to 1. */
  probability(): number {
    this.advance();
    return Math.max(0, (this.requests - this.config.k * this.accepts) / (this.requests + 1));
  }

  /** Counts one request and decides it: true to send it, false when it is refused locally. */
  admit(): boolean {
    const p = this.probability();
    this.requestBuckets[this.bucket % this.config.buckets]! += 1;
    this.requests++;
    if (p > 0 && this.random() < p) {
      this.throttled++;
      return false;
    }
    return true;
  }

  /** Throws THROTTLED when {@link admit} refuses. */
  check(): void {
    if (!this.admit()) throw new ThrottledError(this.dependency, this.probability());
  }

  /** Records how a sent call ended: `error` undefined for success; the `accepted` hook decides. */
  record(error: unknown): void {
    if (!this.isAccepted(error)) return;
    this.advance();
    this.acceptBuckets[this.bucket % this.config.buckets]! += 1;
    this.accepts++;
  }

  /** Runs `call` under the throttle: THROTTLED without calling it when refused, else its outcome recorded. */
  async execute<T>(call: () => Promise<T>): Promise<T> {
    this.check();
    try {
      const value = await call();
      this.record(undefined);
      return value;
    } catch (error) {
      this.record(error);
      throw error;
    }
  }

  /** Plain JSON state. */
  snapshot(): ThrottleSnapshot {
    const probability = this.probability();
    return {
      dependency: this.dependency,
      probability,
      requests: this.requests,
      accepts: this.accepts,
      throttled: this.throttled,
      k: this.config.k,
      windowMs: this.config.windowMs,
    };
  }

  private advance(): void {
    const now = Math.floor(this.clock.monotonic() / this.bucketMs);
    if (now <= this.bucket) return;
    const n = this.config.buckets;
    for (let b = this.bucket + 1, end = Math.min(now, this.bucket + n); b <= end; b++) {
      const i = b % n;
      this.requests -= this.requestBuckets[i]!;
      this.accepts -= this.acceptBuckets[i]!;
      this.requestBuckets[i] = 0;
      this.acceptBuckets[i] = 0;
    }
    this.bucket = now;
    // Float sums of whole numbers stay exact; this only guards against a negative zero after a full wrap.
    if (this.requests < 0.5) this.requests = 0;
    if (this.accepts < 0.5) this.accepts = 0;
  }
}
