import type { RateLimiterConfig } from './config.js';
import type { RateLimitDecision } from './decision.js';
import { checkCost } from './keyed-limiter.js';
import { redisKeyPart } from './keys.js';
import { FIXED_WINDOW, LEAKY_BUCKET, SLIDING_WINDOW, TOKEN_BUCKET, type LuaScript } from './redis-scripts.js';
import type { RedisRateLimitStore, ScriptReply } from './redis-store.js';

/** A decision made on Redis, with the script's raw reply (needed to refund it). */
export interface RedisDecision extends RateLimitDecision {
  /** The script reply; `refund` takes it back. */
  readonly reply: ScriptReply;
}

/**
 * One policy decided on Redis, atomically, by one script call per decision. Each limiter key is
 * `<prefix>{<namespace>:<key>}:<algorithm>`: the braces make it its own Redis Cluster hash tag, and every
 * key a decision touches is that one key. Rejections write nothing; keys expire once back to full.
 * Store failures reject the promise; the manager applies the failure mode.
 */
export class RedisRateLimiter {
  private readonly script: LuaScript;
  // Stringified once: ioredis would convert every number on every call.
  private readonly params: string[];
  private readonly suffix: string;
  private readonly head: string;
  readonly limit: number;
  readonly windowMs: number;

  constructor(
    readonly store: RedisRateLimitStore,
    readonly config: RateLimiterConfig,
    /** Key namespace, e.g. `g`, `o:<operation>`, `u`. */
    namespace: string,
    private readonly maxKeyLength = 256,
  ) {
    this.head = `${store.config.keyPrefix}{${namespace}`;
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

  /** Decides on `cost` for `key` on Redis. */
  tryAcquire(key = '', cost = 1): Promise<RedisDecision> {
    try {
      checkCost(cost);
    } catch (error) {
      return Promise.reject(error);
    }
    const args = this.params.length === 2 ? ['t', cost, this.params[0]!, this.params[1]!] : ['t', cost, ...this.params];
    return this.store.run(this.script, this.redisKey(key), args).then(this.toDecision);
  }

  /** Takes back what `decision` consumed (another scope refused the call). */
  async refund(key: string, cost: number, decision: RedisDecision): Promise<void> {
    await this.store.run(this.script, this.redisKey(key), ['r', cost, ...this.params, decision.reply[5]]);
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
