import type { RedisClient } from '../limits/redis-client.js';
import { redisKeyPart } from '../limits/keys.js';
import { PUBLISH_SCRIPT } from './script.js';
import type { BreakerState } from '../recovery/breaker.js';

/** The process's shared-state store, as shared breakers use it: the Redis client of `rateLimiting.store`. */
export interface SharedStateStore {
  /** `redis` (one server) or `redis_cluster`. */
  readonly type: 'redis' | 'redis_cluster';
  /** The client (not closed by the shared breakers: its owner, the rate limits, closes it). */
  readonly client: RedisClient;
  /** `rateLimiting.store.keyPrefix`; breaker keys start with `<keyPrefix>cb:`. */
  readonly keyPrefix: string;
  /** `rateLimiting.store.timeoutMs`; a round waits for its reply (`roundTimeoutMs`) at most. */
  readonly timeoutMs: number;
}

/**
 * How long a publish round waits for its reply before it counts as failed: the store's timeout, or the publish
 * interval when that is longer (a round is off the hot path, and a slower reply is no staler than the interval).
 */
export function roundTimeoutMs(store: SharedStateStore, publishIntervalMs: number): number {
  return Math.max(store.timeoutMs, publishIntervalMs);
}

/** What a publish round tells the store. */
export interface PublishBatch {
  /** The replica's wall clock, ms since the epoch. */
  readonly now: number;
  readonly replicaId: string;
  /** Who would hold the trial lease (replica and operation). */
  readonly holderId: string;
  readonly successes: number;
  readonly failures: number;
  /** Failures after the batch's last success; -1 when the batch had no success. */
  readonly trailingFailures: number;
  /** This replica has calls waiting for a trial (it refused some, or runs one). */
  readonly wantsLease: boolean;
  /** The outcome of this replica's trial, if one settled since the last round. */
  readonly trial: 'success' | 'failure' | undefined;
}

/** The fixed part of a breaker's round: its settings, as script arguments. */
export interface PublishSettings {
  readonly mode: 'consecutive' | 'failure_rate';
  readonly failureThreshold: number;
  readonly failureRateThreshold: number;
  readonly minimumCalls: number;
  readonly samplingDurationMs: number;
  readonly recoveryTimeoutMs: number;
  readonly successThreshold: number;
  readonly publishIntervalMs: number;
}

/** The shared state as one round's reply gave it. */
export interface SharedView {
  readonly state: BreakerState;
  /** Open: ms until the recovery time has passed. */
  readonly retryAfterMs: number;
  /** Who holds the trial lease; undefined for nobody. */
  readonly leaseHolder: string | undefined;
  /** Replicas that published within the last three intervals (this one included). */
  readonly replicas: number;
  /** Calls the open decision counted over every replica (consecutive: failures in a row). */
  readonly calls: number;
  readonly failures: number;
}

const STATES: ReadonlySet<string> = new Set(['closed', 'open', 'half_open']);

/** Reads a round's reply, validating it: anything else is a store failure. */
export function parseReply(reply: unknown): SharedView {
  if (!Array.isArray(reply) || reply.length < 7) throw new Error('shared breaker: unexpected reply from the store');
  const [state, retry, holder, replicas, calls, failures] = reply as unknown[];
  const num = (v: unknown): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error('shared breaker: unexpected number in the store reply');
    return n;
  };
  if (typeof state !== 'string' || !STATES.has(state)) throw new Error('shared breaker: unexpected state in the store reply');
  return {
    state: state as BreakerState,
    retryAfterMs: num(retry),
    leaseHolder: typeof holder === 'string' && holder !== '' ? holder : undefined,
    replicas: num(replicas),
    calls: num(calls),
    failures: num(failures),
  };
}

/** The keys of breaker `name`: one hash tag, so one slot of a cluster. */
export function breakerKeys(store: SharedStateStore, name: string): string[] {
  const base = `${store.keyPrefix}cb:{${redisKeyPart(name, 200)}}`;
  return [base, `${base}:c`, `${base}:l`, `${base}:r`];
}

/**
 * Runs one publish round: EVALSHA, and EVAL on the same node when it answers NOSCRIPT (a cold or restarted
 * node). Resolves to the raw reply; rejects on a store failure. No timeout here: the breaker keeps one round
 * outstanding at most and stops waiting for it on its own timer.
 */
export function runRound(store: SharedStateStore, keys: string[], settings: PublishSettings, batch: PublishBatch): Promise<unknown> {
  const client = store.client;
  if (client.status !== 'ready') return Promise.reject(new Error(`Redis is not connected (${client.status})`));
  const interval = settings.publishIntervalMs;
  const timeoutMs = roundTimeoutMs(store, interval);
  const args = [
    String(batch.now),
    batch.replicaId,
    batch.holderId,
    settings.mode === 'consecutive' ? 'c' : 'r',
    String(batch.successes),
    String(batch.failures),
    String(batch.trailingFailures),
    String(settings.failureThreshold),
    String(settings.failureRateThreshold),
    String(settings.minimumCalls),
    String(settings.samplingDurationMs),
    String(Math.max(100, Math.ceil(settings.samplingDurationMs / 10))),
    String(settings.recoveryTimeoutMs),
    batch.wantsLease ? '1' : '0',
    // Renewed every round while held: a replica that dies mid-trial frees it three intervals later.
    String(3 * interval + timeoutMs),
    batch.trial === undefined ? '-' : batch.trial === 'success' ? 's' : 'f',
    String(settings.successThreshold),
    String(3 * interval + timeoutMs),
    String(Math.max(600_000, 2 * settings.recoveryTimeoutMs, 2 * settings.samplingDurationMs)),
  ];
  return client.evalsha(PUBLISH_SCRIPT.sha, keys.length, ...keys, ...args).catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    if (!message.startsWith('NOSCRIPT')) throw error;
    return client.eval(PUBLISH_SCRIPT.source, keys.length, ...keys, ...args);
  });
}
