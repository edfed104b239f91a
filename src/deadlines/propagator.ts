import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { systemClock, type Clock } from '../internal/time.js';
import { DEFAULT_MAX_INCOMING_DEADLINE_MS } from './config.js';
import { deadlineOf, withDeadline } from './context.js';

/** Our header: the caller's time left, in relative milliseconds (so the two clocks need not agree). */
export const DEADLINE_HEADER = 'production-deadline-ms';
/** gRPC's deadline header: up to 8 digits and a unit (`H`, `M`, `S`, `m`, `u`, `n`). */
export const GRPC_TIMEOUT_HEADER = 'grpc-timeout';
/** Envoy's per-request timeout, in milliseconds. */
export const ENVOY_TIMEOUT_HEADER = 'x-envoy-expected-rq-timeout-ms';

const MILLISECONDS = /^\d{1,15}(?:\.\d{1,6})?$/;
const INTEGER_MS = /^\d{1,15}$/;
const GRPC_TIMEOUT = /^(\d{1,8})([HMSmun])$/;
const GRPC_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/** Milliseconds of a `grpc-timeout` value, or undefined when it is not one. */
export function parseGrpcTimeout(value: string): number | undefined {
  const match = GRPC_TIMEOUT.exec(value.trim());
  return match ? Number(match[1]) * GRPC_UNIT_MS[match[2]!]! : undefined;
}

function one(value: string | string[] | undefined): string | undefined {
  if (typeof value === 'string') return value;
  return Array.isArray(value) && value.length === 1 && typeof value[0] === 'string' ? value[0] : undefined;
}

function parse(value: string | undefined, pattern: RegExp): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return pattern.test(trimmed) ? Number(trimmed) : undefined;
}

/** Options of {@link DeadlinePropagator}. */
export interface DeadlinePropagatorOptions {
  /** A longer incoming deadline is cut to this many ms (`deadlines.maxIncomingMs`); default 300000. */
  readonly maxIncomingMs?: number;
  /** Monotonic clock of the deadlines in context; default the system clock. */
  readonly clock?: Clock;
}

/**
 * Carries the call deadline between services. Inject writes the time left as `production-deadline-ms`
 * (relative ms, rounded up, 0 once passed). Extract reads it, `grpc-timeout` and
 * `x-envoy-expected-rq-timeout-ms`, takes the shortest valid one, caps it at `maxIncomingMs`, and puts the
 * deadline into the context, where the server's protected operations find it. Malformed values are ignored.
 */
export class DeadlinePropagator implements TextMapPropagator {
  private readonly maxIncomingMs: number;
  private readonly clock: Clock;

  constructor(options: DeadlinePropagatorOptions = {}) {
    this.maxIncomingMs = options.maxIncomingMs ?? DEFAULT_MAX_INCOMING_DEADLINE_MS;
    this.clock = options.clock ?? systemClock;
  }

  /** Writes the time left of the context's deadline, when it has one. */
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const at = deadlineOf(context);
    if (at === undefined) return;
    setter.set(carrier, DEADLINE_HEADER, String(Math.max(0, Math.ceil(at - this.clock.monotonic()))));
  }

  /** Reads the shortest valid deadline header into the context; the context is unchanged when there is none. */
  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    let ms = parse(one(getter.get(carrier, DEADLINE_HEADER)), MILLISECONDS);
    const grpc = one(getter.get(carrier, GRPC_TIMEOUT_HEADER));
    const grpcMs = grpc === undefined ? undefined : parseGrpcTimeout(grpc);
    if (grpcMs !== undefined && (ms === undefined || grpcMs < ms)) ms = grpcMs;
    const envoyMs = parse(one(getter.get(carrier, ENVOY_TIMEOUT_HEADER)), INTEGER_MS);
    // Envoy sends 0 for "no timeout"; only a positive value is a deadline.
    if (envoyMs !== undefined && envoyMs > 0 && (ms === undefined || envoyMs < ms)) ms = envoyMs;
    if (ms === undefined) return context;
    return withDeadline(context, this.clock.monotonic() + Math.min(ms, this.maxIncomingMs));
  }

  /** The header inject writes. */
  fields(): string[] {
    return [DEADLINE_HEADER];
  }
}
