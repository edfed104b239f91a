import type { Redis, RedisOptions } from 'ioredis';
import { InvalidConfigError } from '../errors.js';
import { requireOptionalPeer } from '../internal/module-require.js';
import type { OperationLogger } from '../pipeline.js';
import type { Clock } from './clock.js';
import type { RedisStoreConfig } from './config.js';
import type { LuaScript } from './redis-scripts.js';
import { StoreBreaker } from './store-breaker.js';

/** Where decisions are made: in memory only, on Redis, or locally because Redis is unavailable. */
export type StoreState = 'memory' | 'redis' | 'fallback';

/** Raw reply of a limiter script: allowed, remaining, retryAfterMs (-1 never), resetMs, waitMs, aux. */
export type ScriptReply = [number, number, number, number, number, number];

/** Options of {@link RedisRateLimitStore}. */
export interface RedisStoreOptions {
  /** Monotonic ms clock for the breaker. */
  clock: Clock;
  /** Receives fallback and recovery transitions. */
  logger?: OperationLogger;
  /** A client to use instead of one built from `url`; it is not closed by `close()`. */
  client?: Redis;
}

/**
 * The shared Redis side of distributed limits: one client, the scripts (EVALSHA, reloaded on NOSCRIPT), a
 * breaker, and the store state. Commands never queue while disconnected and time out after `timeoutMs`, so
 * no decision waits longer than that for Redis.
 */
export class RedisRateLimitStore {
  readonly client: Redis;
  readonly breaker: StoreBreaker;
  /** `redis` while Redis answers, `fallback` after a failure until a decision succeeds again. */
  state: StoreState = 'redis';
  /** Store calls that failed (error or timeout). */
  failures = 0;
  /** Times the state changed to fallback. */
  fallbacks = 0;
  /** Scripts (re)loaded after NOSCRIPT. */
  scriptLoads = 0;
  /** Message of the last failure. */
  lastError: string | undefined;
  private readonly ownsClient: boolean;
  private readonly loading = new Map<string, Promise<unknown>>();

  constructor(
    readonly config: RedisStoreConfig,
    private readonly options: RedisStoreOptions,
  ) {
    if (/[{}]/.test(config.keyPrefix)) {
      throw new InvalidConfigError('rateLimiting.store.keyPrefix', 'must not contain { or } (they would move the Redis Cluster hash tag)');
    }
    this.breaker = new StoreBreaker(config.breakerThreshold, config.breakerCooldownMs, options.clock);
    this.ownsClient = options.client === undefined;
    const clientOptions: RedisOptions = {
      enableOfflineQueue: false,
      commandTimeout: config.timeoutMs,
      connectTimeout: config.connectTimeoutMs,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      retryStrategy: (times) => Math.min(50 * times, 1000),
    };
    let client = options.client;
    if (client === undefined) {
      // ioredis is an optional peer dependency, loaded only when a store is built from a URL.
      const { Redis: RedisClient } = requireOptionalPeer<typeof import('ioredis')>('ioredis', 'rateLimiting.store', 'The Redis rate-limit store');
      try {
        client = new RedisClient(config.url, clientOptions);
      } catch (error) {
        throw new InvalidConfigError('rateLimiting.store.url', (error as Error).message);
      }
    }
    this.client = client;
    this.client.on('error', this.onError);
    this.client.on('ready', this.onReady);
  }

  /** Resolves once the client is connected, or rejects after `timeoutMs`. */
  async ready(timeoutMs = this.config.connectTimeoutMs): Promise<void> {
    if (this.client.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.client.off('ready', onReady);
        reject(new Error(`Redis at ${redactUrl(this.config.url)} not ready after ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.client.once('ready', onReady);
    });
  }

  /** Runs `script` on `key`; rejects on any store failure (the caller applies the failure mode). */
  run(script: LuaScript, key: string, args: (string | number)[]): Promise<ScriptReply> {
    return (this.client.evalsha(script.sha, 1, key, ...args) as Promise<ScriptReply>).catch((error: unknown) => {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      // Redis restarted or SCRIPT FLUSH: load it once (shared by concurrent callers) and retry.
      return this.load(script).then(() => this.client.evalsha(script.sha, 1, key, ...args) as Promise<ScriptReply>);
    });
  }

  private load(script: LuaScript): Promise<unknown> {
    let loading = this.loading.get(script.sha);
    if (loading === undefined) {
      this.scriptLoads++;
      loading = this.client.script('LOAD', script.source).finally(() => this.loading.delete(script.sha));
      this.loading.set(script.sha, loading);
    }
    return loading;
  }

  /** Records a successful store call; logs the return from fallback. */
  succeeded(): void {
    this.breaker.success();
    if (this.state === 'fallback') {
      this.state = 'redis';
      this.options.logger?.log('info', 'rate_limiting', 'rate_limit_store', 'Rate-limit decisions are back on Redis', {
        failureMode: this.config.failureMode,
        failures: this.failures,
      });
    }
  }

  /** Records a failed store call; logs the switch to the failure mode once per outage. */
  failed(error: unknown): void {
    this.failures++;
    this.lastError = error instanceof Error ? error.message : String(error);
    const opened = this.breaker.failure();
    if (this.state !== 'fallback') {
      this.state = 'fallback';
      this.fallbacks++;
      this.options.logger?.log('warn', 'rate_limiting', 'rate_limit_store', `Rate-limit store unavailable; applying ${this.config.failureMode}`, {
        failureMode: this.config.failureMode,
        error: this.lastError,
      });
    }
    if (opened) {
      this.options.logger?.log('warn', 'rate_limiting', 'rate_limit_store', 'Rate-limit store breaker opened; decisions skip Redis', {
        cooldownMs: this.config.breakerCooldownMs,
      });
    }
  }

  /** Plain JSON state for health and stats. */
  toJSON(): Record<string, unknown> {
    return {
      type: 'redis',
      state: this.state,
      connection: this.client.status,
      breaker: this.breaker.state,
      failureMode: this.config.failureMode,
      failures: this.failures,
      fallbacks: this.fallbacks,
      breakerOpened: this.breaker.opened,
      scriptLoads: this.scriptLoads,
      lastError: this.lastError ?? null,
    };
  }

  /** Closes the client when this store created it. */
  async close(): Promise<void> {
    this.client.off('ready', this.onReady);
    if (!this.ownsClient) return;
    try {
      if (this.client.status === 'ready') {
        await Promise.race([this.client.quit(), new Promise((resolve) => setTimeout(resolve, this.config.timeoutMs).unref())]);
      }
    } catch {
      // Closing anyway below.
    } finally {
      // The error listener stays: a late socket error must not surface as an unhandled 'error' event.
      this.client.disconnect();
    }
  }

  private readonly onError = (error: Error): void => {
    this.lastError = error.message;
  };

  private readonly onReady = (): void => {
    this.breaker.probeNow();
  };
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
