import { z } from 'zod';
import { alertRuleSchema } from './alerts/rule.js';

/** Log levels of the seed, lowest first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'critical'] as const;

/** Schema of an Alertmanager or webhook receiver. */
const receiverSchema = z.strictObject({
  url: z.url(),
  timeoutMs: z.number().int().min(1).max(60_000).default(5000),
  maxRetries: z.number().int().min(0).max(20).default(3),
  maxQueue: z.number().int().min(1).max(100_000).default(1000),
});

/** Schema of the monitoring section. */
export const monitoringConfigSchema = z.strictObject({
  logLevel: z.enum(LOG_LEVELS).default('info'),
  /**
   * Refusals, failures and retries of protected operations are logged as the first record per operation and
   * error type in each interval of this many ms, then one record with the count suppressed. 0 logs every one.
   */
  logSummaryIntervalMs: z.number().int().min(0).max(3_600_000).default(10_000),
  /** Entries kept in the in-memory ring behind `getRecentLogs`. */
  logBufferSize: z.number().int().min(1).max(1_000_000).default(1000),
  /** Distinct attribute sets kept per instrument (OTel view cardinality limit). */
  cardinalityLimit: z.number().int().min(10).max(1_000_000).default(2000),
  /**
   * Exemplars on `production.operation.duration`: per series and bucket, the trace and span of a recent
   * sampled call, served on `/metrics` to scrapers that ask for OpenMetrics.
   */
  exemplars: z.boolean().default(true),
  /** How often system stats are sampled. */
  statsIntervalMs: z.number().int().min(100).max(3_600_000).default(5000),
  /** How often the alert reader collects and evaluates rules. */
  alertEvaluationIntervalMs: z.number().int().min(100).max(3_600_000).default(15_000),
  /** Ship the default alert rules. */
  defaultAlertRules: z.boolean().default(true),
  /** Alert rules added after the defaults (a rule with a default's name replaces it); names must be unique. */
  alertRules: z
    .array(alertRuleSchema)
    .max(1000)
    .default([])
    .refine((rules) => new Set(rules.map((r) => r.name)).size === rules.length, { message: 'alert rule names must be unique' }),
  /** How long recent metric snapshots are kept. */
  metricsRetentionMs: z.number().int().min(1000).max(86_400_000).default(600_000),
  alertmanager: receiverSchema.optional(),
  webhook: receiverSchema.optional(),
  /**
   * Base URL used in alerts' `generatorURL` (`PRODUCTION_EXTERNAL_URL`). Unset: the admin server's bound
   * address once it listens (before that, `http://<hostname>:9464`).
   */
  externalUrl: z.string().optional(),
  /** How often a still-firing alert is sent again to receivers (Prometheus' resend delay). */
  alertResendIntervalMs: z.number().int().min(1000).max(86_400_000).default(60_000),
  /** Alert instances (label sets) kept per rule; more are dropped and counted. */
  maxAlertInstancesPerRule: z.number().int().min(1).max(100_000).default(1000),
  /**
   * Register the runtime instruments (`process.*`, `v8js.*`, `nodejs.eventloop.*`). Turn off when the
   * application's SDK already runs `@opentelemetry/instrumentation-runtime-node`, to avoid duplicate series.
   */
  runtimeMetrics: z.boolean().default(true),
  /** Recently resolved alerts kept for the status page (a ring). */
  resolvedAlertHistory: z.number().int().min(1).max(10_000).default(50),
  /** Span of the request-rate, error-rate and p99 series on the status page (one point per alert collection, at most 720). */
  requestSeriesWindowMs: z.number().int().min(10_000).max(86_400_000).default(600_000),
});

/** Monitoring section of the production config. */
export type MonitoringConfig = z.output<typeof monitoringConfigSchema>;
