import type { RateLimiterConfig } from './config.js';
import type { RateLimitDecision } from './decision.js';
import { checkCost, checkKey } from './keyed-limiter.js';
import { redisKeyPart } from './keys.js';
import { FIXED_WINDOW, LEAKY_BUCKET, SLIDING_WINDOW, TOKEN_BUCKET, type LuaScript } from './redis-scripts.js';

/** Raw reply of a limiter script: allowed, remaining, retryAfterMs (-1 never), resetMs, waitMs, aux. */
export type ScriptReply = [number, number, number, number, number, number];

/** What a {@link RedisRateLimiter} runs its scripts on: a {@link RedisRateLimitStore}. */
export interface ScriptRunner {
  /** Prefix of every key. */
  readonly keyPrefix: string;
  /** Runs `script` on the one key `key` and resolves to `map(reply)`; rejects on any store failure. */
  run<R, T>(script: LuaScript, key: string, args: string[], map: (reply: R) => T): Promise<T>;
}

/** A decision made on Redis, with the script's raw reply. */
export interface RedisDecision extends RateLimitDecision {
  /** The script reply. */
  readonly reply: ScriptReply;
}

const ONE = '1';

/** Keys whose latest reply a limiter keeps for `lastQuota`: more than the calls in flight at once. */
export const QUOTAS_KEPT = 4096;

/**
 * One policy decided on Redis, atomically, by one script call per decision. Each limiter key is
 * `<prefix>{<namespace>:<key>}:<algorithm>`: the braces make it its own Redis Cluster hash tag, and every
 * key a decision touches is that one key, so each decision is single-slot on a cluster. Rejections write
 * nothing; keys expire once back to full. Store failures reject the promise.
 */
export class RedisRateLimiter {
  private readonly script: LuaScript;
  // Stringified once: ioredis would convert every number on every call.
  private readonly params: string[];
  private readonly suffix: string;
  private readonly head: string;
  readonly limit: number;
  readonly windowMs: number;
  /** The latest reply per key, bounded: read by `lastQuota` moments after the take. */
  private readonly quotas = new Map<string, ScriptReply>();

  constructor(
    readonly store: ScriptRunner,
    readonly config: RateLimiterConfig,
    /** Key namespace, e.g. `g`, `o:<operation>`, `u`. */
    namespace: string,
    private readonly maxKeyLength = 256,
  ) {
    this.head = `${store.keyPrefix}{${namespace}`;
    switch (config.algorithm) {
      case 'token_bucket':
        this.script = TOKEN_BUCKET;
        this.params = [String(config.capacity), String(config.refillPerSecond / 1000)];
        this.limit = config.capacity;
        this.windowMs = (config.capacity / config.refillPerSecond) * 1000;
        break;
      case 'fixed_window':
        this.script = FIXED_WINDOW;
        this.params = [String(config.limit), String(config.windowMs)];
        this.limit = config.limit;
        this.windowMs = config.windowMs;
        break;
      case 'sliding_window':
        this.script = SLIDING_WINDOW;
        this.params = [String(config.limit), String(config.windowMs), String(config.subWindows)];
        this.limit = config.limit;
        this.windowMs = config.windowMs;
        break;
      case 'leaky_bucket':
        this.script = LEAKY_BUCKET;
        this.params = [String(config.capacity), String(config.leakPerSecond / 1000), String(config.maxWaitMs)];
        this.limit = config.capacity;
        this.windowMs = (config.capacity / config.leakPerSecond) * 1000;
        break;
    }
    this.suffix = `}:${this.script.name}`;
  }

  /** The Redis key of `key` (empty for the single-allowance scopes). */
  redisKey(key: string): string {
    return key === '' ? this.head + this.suffix : `${this.head}:${redisKeyPart(key, this.maxKeyLength)}${this.suffix}`;
  }

  /** Decides on `cost` for `key` on Redis. INVALID_CONFIG (rejected) for a key that is not a string or a bad cost. */
  tryAcquire(key = '', cost = 1): Promise<RedisDecision> {
    try {
      checkKey(key);
      checkCost(cost);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.send('t', key, cost, this.toDecision);
  }

  /**
   * The decision as a store's number (see `RateLimitStore.consume`); the caller validated key and cost. The full
   * reply's remaining and reset are kept for {@link lastQuota} (the `RateLimit` headers of the call).
   */
  take(key: string, cost: number): Promise<number> {
    return this.send('t', key, cost, (reply: ScriptReply) => {
      const quotas = this.quotas;
      if (quotas.size >= QUOTAS_KEPT && !quotas.has(key)) quotas.delete(quotas.keys().next().value!);
      quotas.set(key, reply);
      return verdictOf(reply);
    });
  }

  /**
   * What the latest reply for `key` said of its allowance: read right after a take settles. Undefined once
   * {@link QUOTAS_KEPT} other keys were decided since.
   */
  lastQuota(key: string): RateLimitDecision | undefined {
    const reply = this.quotas.get(key);
    return reply === undefined ? undefined : this.toDecision(reply);
  }

  /** Takes back `cost` that a take of moments ago consumed (another scope refused the call). */
  async refund(key: string, cost: number): Promise<void> {
    await this.send('r', key, cost, ignoreReply);
  }

  private send<R, T>(op: 't' | 'v' | 'r', key: string, cost: number, map: (reply: R) => T): Promise<T> {
    const c = cost === 1 ? ONE : String(cost);
    const p = this.params;
    const args = p.length === 2 ? [op, c, p[0]!, p[1]!] : [op, c, p[0]!, p[1]!, p[2]!];
    return this.store.run(this.script, this.redisKey(key), args, map);
  }

  private readonly toDecision = (reply: ScriptReply): RedisDecision => {
    const allowed = reply[0] === 1;
    return {
      allowed,
      remaining: Math.max(0, reply[1]),
      limit: this.limit,
      retryAfterMs: allowed ? 0 : reply[2] < 0 ? Infinity : Math.max(1, reply[2]),
      resetMs: Math.max(0, reply[3]),
      waitMs: reply[4],
      windowMs: this.windowMs,
      reply,
    };
  };
}

function ignoreReply(): void {}

/** The store's number for a full reply: 0 admitted, -wait admitted after waiting, retry ms refused, Infinity never. */
function verdictOf(reply: ScriptReply): number {
  if (reply[0] === 1) return reply[4] > 0 ? -reply[4] : 0;
  return reply[2] < 0 ? Infinity : Math.max(1, reply[2]);
}
