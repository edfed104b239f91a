/**
 * The `PRODUCTION_*` environment variables: the config path each sets, how its value parses and what it means
 * (the table of docs/configuration.md). `configFromEnv` in ../config.ts reads them.
 */
/** Parses one variable's raw value; throws an Error saying what was expected. */
type EnvParser = (raw: string) => unknown;

const integer: EnvParser = (raw) => {
  if (!/^-?\d+$/.test(raw.trim())) throw new Error(`expected an integer, got "${raw}"`);
  return Number(raw);
};
const number: EnvParser = (raw) => {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) throw new Error(`expected a number, got "${raw}"`);
  return value;
};
const boolean: EnvParser = (raw) => {
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new Error(`expected true or false, got "${raw}"`);
};
const text: EnvParser = (raw) => raw;
const list: EnvParser = (raw) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const perSecond =
  (fn: (n: number) => unknown): EnvParser =>
  (raw) =>
    fn(number(raw) as number);

/** One `PRODUCTION_*` variable: the config path it sets, how it parses, what it means. */
export interface EnvSetting {
  /** Variable name. */
  readonly name: string;
  /** Dotted config path it overrides. */
  readonly path: string;
  /** One-line description, used for the table in docs/configuration.md. */
  readonly description: string;
  /** Parses the raw string into the config value. */
  readonly parse: (raw: string) => unknown;
}

/** Every `PRODUCTION_*` variable, in the order of the table in docs/configuration.md. */
export const ENV_SETTINGS: readonly EnvSetting[] = [
  {
    name: 'PRODUCTION_ERROR_RECOVERY_ENABLED',
    path: 'errorRecoveryEnabled',
    parse: boolean,
    description: 'Turn retries, breakers, timeouts and bulkheads on or off.',
  },
  {
    name: 'PRODUCTION_DEFAULT_TIMEOUT_MS',
    path: 'errorRecovery.defaults.timeoutMs',
    parse: integer,
    description: 'Per-attempt timeout of every operation (0 = none).',
  },
  {
    name: 'PRODUCTION_DEFAULT_MAX_RETRIES',
    path: 'errorRecovery.defaults.retry.maxRetries',
    parse: integer,
    description: 'Retries after the first attempt.',
  },
  {
    name: 'PRODUCTION_DEADLINE_MARGIN_MS',
    path: 'deadlines.marginMs',
    parse: integer,
    description: 'Time kept back from a call deadline: less left refuses the call (DEADLINE_EXCEEDED) or skips the retry.',
  },
  {
    name: 'PRODUCTION_DEADLINE_MAX_MS',
    path: 'deadlines.maxIncomingMs',
    parse: integer,
    description: 'Cap on a deadline read from an incoming request (production-deadline-ms, grpc-timeout, Envoy).',
  },
  {
    name: 'PRODUCTION_LOG_LEVEL',
    path: 'monitoring.logLevel',
    parse: text,
    description: 'Minimum log level: trace, debug, info, warn, error, critical.',
  },
  {
    name: 'PRODUCTION_LOG_SUMMARY_INTERVAL_MS',
    path: 'monitoring.logSummaryIntervalMs',
    parse: integer,
    description: 'Log refusals and failures once per operation and error type per interval, then a count (0 = every one).',
  },
  {
    name: 'PRODUCTION_LOG_BUFFER_SIZE',
    path: 'monitoring.logBufferSize',
    parse: integer,
    description: 'Recent log entries kept in memory.',
  },
  {
    name: 'PRODUCTION_EXEMPLARS',
    path: 'monitoring.exemplars',
    parse: boolean,
    description: 'Exemplars (trace of a recent sampled call) on latency buckets, for OpenMetrics scrapes.',
  },
  {
    name: 'PRODUCTION_ALERT_INTERVAL_MS',
    path: 'monitoring.alertEvaluationIntervalMs',
    parse: integer,
    description: 'How often alert rules are evaluated.',
  },
  {
    name: 'PRODUCTION_ALERTMANAGER_URL',
    path: 'monitoring.alertmanager.url',
    parse: text,
    description: 'Alertmanager base URL to send alerts to.',
  },
  {
    name: 'PRODUCTION_ALERT_WEBHOOK_URL',
    path: 'monitoring.webhook.url',
    parse: text,
    description: 'Webhook receiving the Alertmanager v4 payload.',
  },
  {
    name: 'PRODUCTION_RATE_LIMIT_GLOBAL_RPS',
    path: 'rateLimiting.global',
    parse: perSecond((n) => ({ algorithm: 'token_bucket', capacity: Math.max(1, n), refillPerSecond: n })),
    description: 'Global token bucket, requests per second (burst = one second).',
  },
  {
    name: 'PRODUCTION_RATE_LIMIT_USER_RPS',
    path: 'rateLimiting.perUser',
    parse: perSecond((n) => ({ algorithm: 'token_bucket', capacity: Math.max(1, n), refillPerSecond: n })),
    description: 'Per-user token bucket, requests per second.',
  },
  {
    name: 'PRODUCTION_REDIS_URL',
    path: 'rateLimiting.store',
    parse: (raw) => ({ type: 'redis', url: raw }),
    description: 'Share rate limits through Redis at this URL.',
  },
  {
    name: 'PRODUCTION_REDIS_CLUSTER_NODES',
    path: 'rateLimiting.store',
    parse: (raw) => ({ type: 'redis_cluster', nodes: list(raw) }),
    description: 'Share rate limits through a Redis Cluster: seed nodes, host:port comma-separated.',
  },
  {
    name: 'PRODUCTION_RATE_LIMIT_REPLICAS',
    path: 'rateLimiting.replicas',
    parse: integer,
    description: 'Replicas sharing the limits; each admits 1/replicas of a limit while the store is away.',
  },
  {
    name: 'PRODUCTION_MAX_ACTIVE_OPERATIONS',
    path: 'resourceLimits.maxActiveOperations',
    parse: integer,
    description: 'Operation permits (concurrent protected operations).',
  },
  {
    name: 'PRODUCTION_MAX_MEMORY_BYTES',
    path: 'resourceLimits.maxMemoryBytes',
    parse: integer,
    description: 'Refuse new operations above this memory use.',
  },
  {
    name: 'PRODUCTION_MAX_CPU_PERCENT',
    path: 'resourceLimits.maxCpuPercent',
    parse: number,
    description: 'Refuse new operations above this CPU use.',
  },
  {
    name: 'PRODUCTION_MAX_EVENT_LOOP_DELAY_MS',
    path: 'resourceLimits.maxEventLoopDelayMs',
    parse: number,
    description: 'Refuse new operations above this event-loop delay (p99).',
  },
  {
    name: 'PRODUCTION_OVERLOAD',
    path: 'overload',
    parse: (raw) => {
      const v = raw.trim().toLowerCase();
      // The limit's queue waits for a burst the queue-delay control admitted (docs/overload.md, "Bursts").
      if (v === 'on' || v === 'true' || v === '1') return { queueDelay: {}, concurrency: { maxWaitMs: 100 } };
      if (v === 'off' || v === 'false' || v === '0') return { queueDelay: false };
      throw new Error(`expected on or off, got "${raw}"`);
    },
    description:
      "Overload control of every call: refuse a share that follows the event loop's queue delay, lowest class first, under one adaptive concurrency limit (on, off).",
  },
  {
    name: 'PRODUCTION_HEALTH_INTERVAL_MS',
    path: 'healthChecks.defaults.intervalMs',
    parse: integer,
    description: 'How often each component is probed.',
  },
  {
    name: 'PRODUCTION_STORAGE_PATH',
    path: 'healthChecks.storagePath',
    parse: text,
    description: 'Directory checked for free space and writability.',
  },
  {
    name: 'PRODUCTION_SHUTDOWN_TIMEOUT_MS',
    path: 'shutdown.gracefulTimeoutMs',
    parse: integer,
    description: 'Deadline of the whole graceful shutdown.',
  },
  {
    name: 'PRODUCTION_PRESTOP_DELAY_MS',
    path: 'shutdown.preStopDelayMs',
    parse: integer,
    description: 'Keep serving this long after /readyz turns 503.',
  },
  { name: 'PRODUCTION_CHECKPOINT_DIR', path: 'shutdown.checkpointDir', parse: text, description: 'Directory for state checkpoints.' },
  {
    name: 'PRODUCTION_SHUTDOWN_SIGNALS',
    path: 'shutdown.signals',
    parse: list,
    description: 'Signals that start a shutdown (comma-separated).',
  },
  {
    name: 'PRODUCTION_ADMIN_TOKEN',
    path: 'admin.bearerToken',
    parse: text,
    description: 'Bearer token that unlocks health details and /status.',
  },
  {
    name: 'PRODUCTION_TRACE_URL_TEMPLATE',
    path: 'admin.traceUrlTemplate',
    parse: text,
    description: 'Trace link on /status, with {traceId}.',
  },
  {
    name: 'PRODUCTION_ADMIN_MAX_CONNECTIONS',
    path: 'admin.maxConnections',
    parse: integer,
    description: 'Open connections the admin server keeps at most; at the cap a new one evicts the longest-idle.',
  },
  {
    name: 'PRODUCTION_ADMIN_HEADERS_TIMEOUT_MS',
    path: 'admin.headersTimeoutMs',
    parse: integer,
    description: 'Admin server: 408 and close when request headers take longer (also silent connections).',
  },
  {
    name: 'PRODUCTION_ADMIN_IDLE_TIMEOUT_MS',
    path: 'admin.idleTimeoutMs',
    parse: integer,
    description: 'Admin server: close a connection with no traffic for this long.',
  },
  {
    name: 'PRODUCTION_EXTERNAL_URL',
    path: 'monitoring.externalUrl',
    parse: text,
    description: "Base URL of alerts' generatorURL (default: the admin server's bound address).",
  },
];
