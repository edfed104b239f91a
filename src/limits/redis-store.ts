import type { RateLimitScope } from '../errors.js';
import type { RateLimiterConfig, SharedStoreConfig } from './config.js';
import type { RateLimitDecision } from './decision.js';
import { createRedisClient, isCluster, WriteGathering, type RedisClient } from './redis-client.js';
import { RedisRateLimiter, type ScriptRunner } from './redis-limiter.js';
import type { LuaScript } from './redis-scripts.js';
import { redisKeyPart } from './keys.js';
import { withReplyTimeout } from './reply-timeout.js';
import type { RateLimitStore, RateLimitStoreStatus } from './store.js';

/** Options of {@link RedisRateLimitStore}. */
export interface RedisStoreOptions {
  /**
   * An ioredis client to use instead of one built from the config; it is not closed by `close()`. An ioredis
   * `Cluster` makes this a Redis Cluster store.
   */
  client?: RedisClient;
  /** Longer keys are kept as a digest; default 256. */
  maxKeyLength?: number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Limits kept on one Redis server or a Redis Cluster, shared by every replica. Each decision is one script
 * on one key (`<prefix>{<scope>:<key>}:<algorithm>`), so on a cluster it runs on the node that owns the key's
 * slot: EVALSHA, and EVAL on that same node when it answers NOSCRIPT (a cold or restarted node). A call
 * waits `timeoutMs` for its reply (see {@link withReplyTimeout}: a reply that arrived during a stall of our
 * own event loop is not a timeout), and before the very first connection up to `timeoutMs` more for it.
 * The calls of one turn of the event loop share socket writes ({@link WriteGathering}).
 * Failures reject; wrap the store in a {@link FallbackRateLimitStore} for a failure mode.
 */
export class RedisRateLimitStore implements RateLimitStore, ScriptRunner {
  /** `redis` (one server) or `redis_cluster`. */
  readonly type: 'redis' | 'redis_cluster';
  readonly keyPrefix: string;
  /** Scripts sent whole (EVAL) after a node answered NOSCRIPT. */
  scriptLoads = 0;
  /** Calls that got no reply within `timeoutMs`. */
  timeouts = 0;
  /** The last error the client or a call reported. */
  lastError: string | undefined;
  private client: RedisClient | undefined;
  private readonly ownsClient: boolean;
  private everReady = false;
  private closed = false;
  private readonly waiters = new Set<Waiter>();
  private readonly availableListeners = new Set<() => void>();
  private global: RedisRateLimiter | undefined;
  private readonly operations = new Map<string, RedisRateLimiter>();
  private userDefault: RedisRateLimiter | undefined;
  private readonly overrides = new Map<string, RedisRateLimiter>();
  private readonly maxKeyLength: number;
  /** Gathers this store's writes, unless the client auto-pipelines them. */
  private writes: WriteGathering | undefined;

  constructor(
    readonly config: SharedStoreConfig,
    options: RedisStoreOptions = {},
  ) {
    this.keyPrefix = config.keyPrefix;
    this.maxKeyLength = options.maxKeyLength ?? 256;
    this.ownsClient = options.client === undefined;
    this.type = config.type === 'redis_cluster' || (options.client !== undefined && isCluster(options.client)) ? 'redis_cluster' : 'redis';
    // Throws INVALID_CONFIG when ioredis is not installed or the URL is not one.
    this.attach(options.client ?? createRedisClient(config));
  }

  /** Sets (null: removes) a policy. Keys are per algorithm: a new policy of the same algorithm keeps what was consumed. */
  setPolicy(scope: RateLimitScope, key: string | undefined, policy: RateLimiterConfig | null): void {
    if (scope === 'global') this.global = policy === null ? undefined : new RedisRateLimiter(this, policy, 'g', this.maxKeyLength);
    else if (scope === 'operation') {
      const name = key ?? '';
      if (policy === null) this.operations.delete(name);
      else this.operations.set(name, new RedisRateLimiter(this, policy, `o:${redisKeyPart(name, this.maxKeyLength)}`, this.maxKeyLength));
    } else if (key === undefined)
      this.userDefault = policy === null ? undefined : new RedisRateLimiter(this, policy, 'u', this.maxKeyLength);
    else if (policy === null) this.overrides.delete(key);
    // A user's own policy shares the `u` namespace: switching policy keeps what the user consumed.
    else this.overrides.set(key, new RedisRateLimiter(this, policy, 'u', this.maxKeyLength));
  }

  /** One decision by one script on the scope's key; rejects on any store failure. */
  consume(scope: RateLimitScope, key: string, cost: number): Promise<number> {
    const limiter = this.limiter(scope, key);
    return limiter === undefined ? Promise.resolve(Number.NaN) : limiter.take(scope === 'user' ? key : '', cost);
  }

  /** What the last reply for `key` said of its allowance (see {@link RateLimitStore.quota}); no round trip. */
  quota(scope: RateLimitScope, key: string): RateLimitDecision | undefined {
    return this.limiter(scope, key)?.lastQuota(scope === 'user' ? key : '');
  }

  /** Gives back `cost` a take of the same call consumed; rejects on a store failure. */
  async refund(scope: RateLimitScope, key: string, cost: number): Promise<void> {
    await this.limiter(scope, key)?.refund(scope === 'user' ? key : '', cost);
  }

  private limiter(scope: RateLimitScope, key: string): RedisRateLimiter | undefined {
    if (scope === 'global') return this.global;
    if (scope === 'operation') return this.operations.get(key);
    return (this.overrides.size > 0 ? this.overrides.get(key) : undefined) ?? this.userDefault;
  }

  /** Runs `script` on `key` within `timeoutMs` and resolves to `map(reply)`; rejects on any store failure. */
  run<R, T>(script: LuaScript, key: string, args: string[], map: (reply: R) => T): Promise<T> {
    const client = this.client;
    if (client !== undefined && client.status === 'ready') return this.call(client, script, key, args, map);
    if (this.everReady || this.closed)
      return Promise.reject(new Error(`Redis is not connected (${this.closed ? 'closed' : client?.status})`));
    // The first connection is still being made: wait for it within the same timeout.
    return this.waitReady(this.config.timeoutMs).then(() => this.call(this.client!, script, key, args, map));
  }

  private call<R, T>(client: RedisClient, script: LuaScript, key: string, args: string[], map: (reply: R) => T): Promise<T> {
    return withReplyTimeout<T>(
      (resolve, reject) => {
        // Neither handler may throw: nothing awaits the promises `then` derives here.
        const done = (reply: unknown) => {
          try {
            resolve(map(reply as R));
          } catch (error) {
            reject(error);
          }
        };
        this.writes?.add();
        client.evalsha(script.sha, 1, key, ...args).then(done, (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          if (message.startsWith('NOSCRIPT')) {
            // This node has not seen the script (cold start, restart, SCRIPT FLUSH): EVAL runs it on the same
            // node as the key (a SCRIPT LOAD would go to a random node of a cluster) and caches it there.
            this.scriptLoads++;
            this.writes?.add();
            client.eval(script.source, 1, key, ...args).then(done, reject);
          } else if (this.type === 'redis' && /^(MOVED|ASK|CLUSTERDOWN) /.test(message)) {
            reject(
              new Error(
                `${message}: this Redis is a Redis Cluster node; configure rateLimiting.store as { type: 'redis_cluster', nodes: [...] }`,
              ),
            );
          } else reject(error);
        });
      },
      this.config.timeoutMs,
      this.onTimeout,
      this.writes?.heldBack,
    );
  }

  /** Resolves once the client is connected, or rejects after `timeoutMs`. */
  ready(timeoutMs = this.config.connectTimeoutMs): Promise<void> {
    if (this.client?.status === 'ready') return Promise.resolve();
    if (this.closed) return Promise.reject(new Error('Redis store closed'));
    return this.waitReady(timeoutMs);
  }

  private waitReady(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`Redis (${this.type}) not ready after ${timeoutMs} ms${this.lastError ? `: ${this.lastError}` : ''}`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  private releaseWaiters(error?: Error): void {
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
    this.waiters.clear();
  }

  private attach(client: RedisClient): void {
    this.client = client;
    this.writes = client.options.enableAutoPipelining === true ? undefined : new WriteGathering(client);
    client.on('error', this.onError);
    client.on('node error', this.onError);
    client.on('ready', this.onReady);
    if (client.status === 'ready') this.onReady();
  }

  /** The ioredis client (or Cluster) the store uses; undefined once closed. Shared breakers use it too. */
  get redisClient(): RedisClient | undefined {
    return this.closed ? undefined : this.client;
  }

  /** Calls `listener` whenever the client (re)connects. */
  onAvailable(listener: () => void): Disposable {
    this.availableListeners.add(listener);
    return { [Symbol.dispose]: () => this.availableListeners.delete(listener) };
  }

  /** Connection state, scripts sent whole, timeouts and the last error. */
  status(): RateLimitStoreStatus {
    const connection = this.client?.status ?? 'loading';
    return {
      type: this.type,
      state: 'redis',
      healthy: connection === 'ready',
      connection,
      scriptLoads: this.scriptLoads,
      timeouts: this.timeouts,
      lastError: this.lastError ?? null,
    };
  }

  /** Closes the client when this store created it; refuses later calls. */
  async close(): Promise<void> {
    this.closed = true;
    this.releaseWaiters(new Error('Redis store closed'));
    const client = this.client;
    if (client === undefined) return;
    client.off('ready', this.onReady);
    if (!this.ownsClient) {
      client.off('error', this.onError);
      client.off('node error', this.onError);
      return;
    }
    try {
      if (client.status === 'ready') {
        await Promise.race([client.quit(), new Promise((resolve) => setTimeout(resolve, this.config.timeoutMs).unref())]);
      }
    } catch {
      // Closing anyway below.
    } finally {
      // The error listener stays: a late socket error must not surface as an unhandled 'error' event.
      client.disconnect();
    }
  }

  private readonly onTimeout = (): void => {
    this.timeouts++;
  };

  private readonly onError = (error: Error): void => {
    this.lastError = error.message;
  };

  private readonly onReady = (): void => {
    this.everReady = true;
    this.releaseWaiters();
    for (const listener of this.availableListeners) {
      try {
        listener();
      } catch {
        // A listener's failure must not break the client's event.
      }
    }
  };
}
