// Reads and validates the standard OTEL_* variables the preload acts on, before anything starts, so a bad
// value stops start-up with an error naming the variable instead of a silent SDK fallback.
import { InvalidConfigError } from '../errors.js';

/** The three OTLP signals. */
export type OtlpSignal = 'traces' | 'metrics' | 'logs';
/** The OTLP encodings the preload sends (gRPC is not offered: it would load `@grpc/grpc-js`). */
export type OtlpProtocol = 'http/json' | 'http/protobuf';
/** `OTEL_NODE_RESOURCE_DETECTORS` names, as the OTel Node SDK reads them. */
export type ResourceDetectorName = 'env' | 'host' | 'os' | 'process' | 'serviceinstance';

/** What the preload does, from the OTEL_* variables ({@link readOtelEnv}). */
export interface PreloadSettings {
  /** `OTEL_SDK_DISABLED=true`: no SDK, no HTTP instrumentation, the embedded telemetry only. */
  readonly disabled: boolean;
  /** Per-signal OTLP URL (`OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT`, else the base endpoint plus `/v1/<signal>`). */
  readonly endpoints: Readonly<Record<OtlpSignal, string | undefined>>;
  /** Per-signal encoding (`OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/json`). */
  readonly protocols: Readonly<Record<OtlpSignal, OtlpProtocol>>;
  /** Trace exporters; an unset list means `otlp` when an endpoint says where, else none. */
  readonly traces: readonly ('otlp' | 'console')[];
  /** Metric exporters besides our admin server's `/metrics` (which `prometheus` names). */
  readonly metrics: readonly ('otlp' | 'console' | 'prometheus')[];
  /** Log exporters; `console` is JSON lines on stdout, the default when no endpoint is set. */
  readonly logs: readonly ('otlp' | 'console')[];
  /** `OTEL_PROPAGATORS` as given, or undefined for the default (tracecontext, baggage). */
  readonly propagators: readonly string[] | undefined;
  /** `OTEL_NODE_RESOURCE_DETECTORS` resolved (`all` expanded, `none` empty), or undefined for the SDK default. */
  readonly resourceDetectors: readonly ResourceDetectorName[] | undefined;
  /** `OTEL_LOG_LEVEL` (the SDK's own diagnostics), lower-cased. */
  readonly logLevel: string | undefined;
  /** `OTEL_METRIC_EXPORT_INTERVAL` (default 60000) and `OTEL_METRIC_EXPORT_TIMEOUT` (default 30000, at most the interval). */
  readonly metricExport: { readonly intervalMs: number; readonly timeoutMs: number };
  /** The `OTEL_BLRP_*` settings that were set (the log processor does not read them itself). */
  readonly batchLogs: Readonly<
    Partial<Record<'maxQueueSize' | 'scheduledDelayMillis' | 'exportTimeoutMillis' | 'maxExportBatchSize', number>>
  >;
  /** Where the admin server listens (`OTEL_EXPORTER_PROMETHEUS_HOST`/`_PORT`, default 127.0.0.1:9464). */
  readonly admin: { readonly host: string; readonly port: number };
}

const SIGNALS: readonly OtlpSignal[] = ['traces', 'metrics', 'logs'];
const TRACE_EXPORTERS = ['otlp', 'console', 'none'] as const;
const METRIC_EXPORTERS = ['otlp', 'prometheus', 'console', 'none'] as const;
const LOG_EXPORTERS = ['otlp', 'console', 'none'] as const;
const PROTOCOLS = ['http/json', 'http/protobuf'] as const;
const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
const PROPAGATORS = ['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger', 'none'] as const;
const LOG_LEVELS = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'] as const;
const DETECTORS = ['env', 'host', 'os', 'process', 'serviceinstance', 'all', 'none'] as const;
const ALL_DETECTORS: readonly ResourceDetectorName[] = ['env', 'host', 'os', 'process', 'serviceinstance'];
const MAX_INT = 2_147_483_647;
const TIMEOUTS = [
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
  'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT',
  'OTEL_EXPORTER_OTLP_LOGS_TIMEOUT',
];
const BSP = ['OTEL_BSP_SCHEDULE_DELAY', 'OTEL_BSP_EXPORT_TIMEOUT', 'OTEL_BSP_MAX_QUEUE_SIZE', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'];
const BLRP = {
  maxQueueSize: 'OTEL_BLRP_MAX_QUEUE_SIZE',
  scheduledDelayMillis: 'OTEL_BLRP_SCHEDULE_DELAY',
  exportTimeoutMillis: 'OTEL_BLRP_EXPORT_TIMEOUT',
  maxExportBatchSize: 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

function get(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

function list<T extends string>(env: Env, name: string, allowed: readonly T[]): T[] | undefined {
  const raw = get(env, name);
  if (raw === undefined) return undefined;
  const values = raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const v of values) {
    if (!(allowed as readonly string[]).includes(v))
      throw new InvalidConfigError(`env.${name}`, `"${v}" is not one of ${allowed.join(', ')}`);
  }
  return values as T[];
}

function one<T extends string>(env: Env, name: string, allowed: readonly T[]): T | undefined {
  const values = list(env, name, allowed);
  if (values !== undefined && values.length !== 1)
    throw new InvalidConfigError(`env.${name}`, `expected one of ${allowed.join(', ')}, got "${get(env, name)}"`);
  return values?.[0];
}

function url(env: Env, name: string): string | undefined {
  const raw = get(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new InvalidConfigError(`env.${name}`, `expected an http(s) URL, got "${raw}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new InvalidConfigError(`env.${name}`, `expected an http(s) URL, got "${raw}"`);
  return raw;
}

function integer(env: Env, name: string, min: number, max = MAX_INT): number | undefined {
  const raw = get(env, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new InvalidConfigError(`env.${name}`, `expected an integer from ${min} to ${max}, got "${raw}"`);
  return Number(raw);
}

/** The metric reader's interval and timeout; the SDK refuses a timeout above the interval, so that is checked here. */
function metricExport(env: Env): PreloadSettings['metricExport'] {
  const interval = integer(env, 'OTEL_METRIC_EXPORT_INTERVAL', 1);
  const timeout = integer(env, 'OTEL_METRIC_EXPORT_TIMEOUT', 1);
  if (interval !== undefined && timeout !== undefined && timeout > interval) {
    throw new InvalidConfigError(
      'env.OTEL_METRIC_EXPORT_TIMEOUT',
      `must not exceed OTEL_METRIC_EXPORT_INTERVAL (${interval}), got "${timeout}"`,
    );
  }
  const intervalMs = interval ?? 60_000;
  // As the OTel Node SDK does: a default timeout longer than a short interval is cut to the interval.
  return { intervalMs, timeoutMs: Math.min(timeout ?? 30_000, intervalMs) };
}

function resourceDetectors(env: Env): ResourceDetectorName[] | undefined {
  const names = list(env, 'OTEL_NODE_RESOURCE_DETECTORS', DETECTORS);
  if (names === undefined) return undefined;
  if (names.includes('all')) return [...ALL_DETECTORS];
  if (names.includes('none')) return [];
  return names.filter((n): n is ResourceDetectorName => n !== 'all' && n !== 'none');
}

function checkSampler(env: Env): void {
  const sampler = one(env, 'OTEL_TRACES_SAMPLER', SAMPLERS);
  const arg = get(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (arg !== undefined && sampler?.endsWith('traceidratio')) {
    const ratio = Number(arg);
    if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1)
      throw new InvalidConfigError('env.OTEL_TRACES_SAMPLER_ARG', `expected a ratio from 0 to 1, got "${arg}"`);
  }
}

function checkResourceAttributes(env: Env): void {
  const attributes = get(env, 'OTEL_RESOURCE_ATTRIBUTES');
  if (attributes === undefined) return;
  for (const pair of attributes.split(',')) {
    if (pair.trim() !== '' && !/^[^=\s]+=.*$/.test(pair.trim()))
      throw new InvalidConfigError('env.OTEL_RESOURCE_ATTRIBUTES', `expected key=value pairs, got "${pair}"`);
  }
}

/** An exporter list without `none`, or empty when `none` is in it. */
function active<T extends string>(chosen: readonly (T | 'none')[]): Exclude<T, 'none'>[] {
  return chosen.includes('none') ? [] : (chosen.filter((v) => v !== 'none') as Exclude<T, 'none'>[]);
}

/** What the preload does, from the OTEL_* variables. Throws INVALID_CONFIG naming the variable. */
export function readOtelEnv(env: Env): PreloadSettings {
  const disabled = get(env, 'OTEL_SDK_DISABLED');
  if (disabled !== undefined && !/^(true|false)$/i.test(disabled))
    throw new InvalidConfigError('env.OTEL_SDK_DISABLED', `expected true or false, got "${disabled}"`);
  const base = url(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const endpoints = {} as Record<OtlpSignal, string | undefined>;
  const protocols = {} as Record<OtlpSignal, OtlpProtocol>;
  const general = one(env, 'OTEL_EXPORTER_OTLP_PROTOCOL', PROTOCOLS);
  for (const signal of SIGNALS) {
    const upper = signal.toUpperCase();
    endpoints[signal] =
      url(env, `OTEL_EXPORTER_OTLP_${upper}_ENDPOINT`) ?? (base === undefined ? undefined : `${base.replace(/\/+$/, '')}/v1/${signal}`);
    protocols[signal] = one(env, `OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`, PROTOCOLS) ?? general ?? 'http/json';
  }
  const traces = list(env, 'OTEL_TRACES_EXPORTER', TRACE_EXPORTERS);
  const metrics = list(env, 'OTEL_METRICS_EXPORTER', METRIC_EXPORTERS);
  const logs = list(env, 'OTEL_LOGS_EXPORTER', LOG_EXPORTERS);
  const propagators = list(env, 'OTEL_PROPAGATORS', PROPAGATORS);
  const logLevel = one(env, 'OTEL_LOG_LEVEL', LOG_LEVELS);
  checkSampler(env);
  checkResourceAttributes(env);
  for (const name of [...TIMEOUTS, ...BSP]) integer(env, name, 0);
  const batchLogs: Partial<Record<keyof typeof BLRP, number>> = {};
  for (const [key, name] of Object.entries(BLRP) as [keyof typeof BLRP, string][]) {
    const value = integer(env, name, 0);
    if (value !== undefined) batchLogs[key] = value;
  }
  const adminHost = get(env, 'OTEL_EXPORTER_PROMETHEUS_HOST') ?? '127.0.0.1';
  if (/\s|\//.test(adminHost))
    throw new InvalidConfigError('env.OTEL_EXPORTER_PROMETHEUS_HOST', `expected a host name or address, got "${adminHost}"`);
  const adminPort = integer(env, 'OTEL_EXPORTER_PROMETHEUS_PORT', 0, 65535) ?? 9464;

  // An exporter list that is unset means "otlp when an endpoint says where", so a bare start never dials out.
  return {
    disabled: disabled?.toLowerCase() === 'true',
    endpoints,
    protocols,
    traces: traces === undefined ? (endpoints.traces !== undefined ? ['otlp'] : []) : active(traces),
    metrics: active(metrics ?? []),
    logs: logs === undefined ? (endpoints.logs !== undefined ? ['otlp'] : ['console']) : active(logs),
    propagators,
    resourceDetectors: resourceDetectors(env),
    logLevel,
    metricExport: metricExport(env),
    batchLogs,
    admin: { host: adminHost, port: adminPort },
  };
}
