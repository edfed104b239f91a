'use strict';
// Reads and validates the standard OTEL_* variables the preload acts on, before anything starts, so a bad
// value stops start-up with an error naming the variable instead of a silent SDK fallback.
const { InvalidConfigError } = require('../dist/cjs/errors.js');

const TRACE_EXPORTERS = new Set(['otlp', 'console', 'none']);
const METRIC_EXPORTERS = new Set(['otlp', 'prometheus', 'console', 'none']);
const LOG_EXPORTERS = new Set(['otlp', 'console', 'none']);
const PROTOCOLS = new Set(['http/json', 'http/protobuf']);
const SAMPLERS = new Set(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']);
const PROPAGATORS = new Set(['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger', 'none']);
const LOG_LEVELS = new Set(['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all']);
const INTEGERS = ['OTEL_EXPORTER_OTLP_TIMEOUT', 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT', 'OTEL_EXPORTER_OTLP_LOGS_TIMEOUT', 'OTEL_METRIC_EXPORT_INTERVAL', 'OTEL_METRIC_EXPORT_TIMEOUT', 'OTEL_BSP_SCHEDULE_DELAY', 'OTEL_BSP_EXPORT_TIMEOUT', 'OTEL_BSP_MAX_QUEUE_SIZE', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'OTEL_BLRP_SCHEDULE_DELAY', 'OTEL_BLRP_EXPORT_TIMEOUT', 'OTEL_BLRP_MAX_QUEUE_SIZE', 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE'];

/** @param {NodeJS.ProcessEnv} env @param {string} name @returns {string | undefined} */
function get(env, name) {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

/** @param {NodeJS.ProcessEnv} env @param {string} name @param {Set<string>} allowed @returns {string[] | undefined} */
function list(env, name, allowed) {
  const raw = get(env, name);
  if (raw === undefined) return undefined;
  const values = raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const v of values) {
    if (!allowed.has(v)) throw new InvalidConfigError(`env.${name}`, `"${v}" is not one of ${[...allowed].join(', ')}`);
  }
  return values;
}

/** @param {NodeJS.ProcessEnv} env @param {string} name @returns {string | undefined} */
function url(env, name) {
  const raw = get(env, name);
  if (raw === undefined) return undefined;
  let parsed;
  try {
    parsed = new URL(raw);
  } catch {
    throw new InvalidConfigError(`env.${name}`, `expected an http(s) URL, got "${raw}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new InvalidConfigError(`env.${name}`, `expected an http(s) URL, got "${raw}"`);
  return raw;
}

/** @param {NodeJS.ProcessEnv} env @param {string} name @param {number} min @param {number} max @returns {number | undefined} */
function integer(env, name, min, max) {
  const raw = get(env, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new InvalidConfigError(`env.${name}`, `expected an integer from ${min} to ${max}, got "${raw}"`);
  return Number(raw);
}

/** @param {NodeJS.ProcessEnv} env @param {string} signal @param {string} [explicit] */
function signalEndpoint(env, signal, explicit) {
  if (explicit !== undefined) return explicit;
  const base = get(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  return base === undefined ? undefined : `${base.replace(/\/+$/, '')}/v1/${signal}`;
}

/**
 * What the preload does, from the OTEL_* variables. Throws INVALID_CONFIG naming the variable.
 * @param {NodeJS.ProcessEnv} env
 */
function readOtelEnv(env) {
  const disabled = get(env, 'OTEL_SDK_DISABLED');
  if (disabled !== undefined && !/^(true|false)$/i.test(disabled)) throw new InvalidConfigError('env.OTEL_SDK_DISABLED', `expected true or false, got "${disabled}"`);
  const base = url(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  /** @type {Record<'traces' | 'metrics' | 'logs', string | undefined>} */
  const endpoints = {
    traces: signalEndpoint(env, 'traces', url(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')),
    metrics: signalEndpoint(env, 'metrics', url(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT')),
    logs: signalEndpoint(env, 'logs', url(env, 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT')),
  };
  /** @type {Record<'traces' | 'metrics' | 'logs', 'http/json' | 'http/protobuf'>} */
  const protocols = { traces: 'http/json', metrics: 'http/json', logs: 'http/json' };
  const general = get(env, 'OTEL_EXPORTER_OTLP_PROTOCOL');
  for (const signal of /** @type {const} */ (['traces', 'metrics', 'logs'])) {
    const name = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_PROTOCOL`;
    const value = get(env, name) ?? general;
    const which = get(env, name) !== undefined ? name : 'OTEL_EXPORTER_OTLP_PROTOCOL';
    if (value !== undefined && !PROTOCOLS.has(value)) throw new InvalidConfigError(`env.${which}`, `"${value}" is not supported here; use http/protobuf or http/json`);
    if (value !== undefined) protocols[signal] = /** @type {'http/json' | 'http/protobuf'} */ (value);
  }
  const traces = list(env, 'OTEL_TRACES_EXPORTER', TRACE_EXPORTERS);
  const metrics = list(env, 'OTEL_METRICS_EXPORTER', METRIC_EXPORTERS);
  const logs = list(env, 'OTEL_LOGS_EXPORTER', LOG_EXPORTERS);
  list(env, 'OTEL_PROPAGATORS', PROPAGATORS);
  list(env, 'OTEL_LOG_LEVEL', LOG_LEVELS);
  const sampler = list(env, 'OTEL_TRACES_SAMPLER', SAMPLERS);
  if (sampler !== undefined && sampler.length !== 1) throw new InvalidConfigError('env.OTEL_TRACES_SAMPLER', 'expected one sampler');
  const samplerArg = get(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (samplerArg !== undefined && sampler?.[0]?.endsWith('traceidratio')) {
    const ratio = Number(samplerArg);
    if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) throw new InvalidConfigError('env.OTEL_TRACES_SAMPLER_ARG', `expected a ratio from 0 to 1, got "${samplerArg}"`);
  }
  for (const name of INTEGERS) integer(env, name, 0, 2_147_483_647);
  const attributes = get(env, 'OTEL_RESOURCE_ATTRIBUTES');
  if (attributes !== undefined) {
    for (const pair of attributes.split(',')) {
      if (pair.trim() !== '' && !/^[^=\s]+=.*$/.test(pair.trim())) throw new InvalidConfigError('env.OTEL_RESOURCE_ATTRIBUTES', `expected key=value pairs, got "${pair}"`);
    }
  }
  const adminHost = get(env, 'OTEL_EXPORTER_PROMETHEUS_HOST') ?? '127.0.0.1';
  if (/\s|\//.test(adminHost)) throw new InvalidConfigError('env.OTEL_EXPORTER_PROMETHEUS_HOST', `expected a host name or address, got "${adminHost}"`);
  const adminPort = integer(env, 'OTEL_EXPORTER_PROMETHEUS_PORT', 0, 65535) ?? 9464;

  // An exporter list that is unset means "otlp when an endpoint says where", so a bare start never dials out.
  const pick = (/** @type {string[] | undefined} */ chosen, /** @type {string | undefined} */ endpoint) =>
    chosen === undefined ? (endpoint !== undefined ? ['otlp'] : []) : chosen.filter((v) => v !== 'none' && !chosen.includes('none'));
  return {
    disabled: disabled !== undefined && disabled.toLowerCase() === 'true',
    hasEndpoint: base !== undefined || Object.values(endpoints).some((e) => e !== undefined),
    endpoints,
    protocols,
    traces: pick(traces, endpoints.traces),
    metrics: (metrics ?? []).filter((v) => v !== 'none' && !(metrics ?? []).includes('none')),
    logs: logs === undefined ? (endpoints.logs !== undefined ? ['otlp'] : ['console']) : pick(logs, endpoints.logs),
    admin: { host: adminHost, port: adminPort },
  };
}

module.exports = { readOtelEnv };
