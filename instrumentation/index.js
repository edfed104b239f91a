'use strict';
/**
 * The preload: `node --require ./instrumentation app.js` (or `--import ./instrumentation/register.mjs`).
 * Starts the OTel NodeSDK from the OTEL_* variables with our metric readers, HTTP instrumentation and
 * exporters, creates the process-wide ProductionSystem, installs the signal handlers and starts the admin
 * server. A bad OTEL_* or PRODUCTION_* value stops the process with an error naming the variable.
 */
try {
  require.resolve('../dist/cjs/index.js');
} catch {
  process.stderr.write('[@llmkg/production] start-up stopped: the package is not built (no dist/cjs); run `npm run build` first\n');
  process.exit(1);
}
const { readOtelEnv } = require('./env.js');
const { buildExporters } = require('./exporters.js');
const { createProductionSystem, resolveConfig } = require('../dist/cjs/index.js');

const PREFIX = '[@llmkg/production]';
const STATE = Symbol.for('@llmkg/production.instrumentation');

/** @param {unknown} error @returns {never} */
function fail(error) {
  const e = /** @type {{ code?: unknown, message?: unknown, stack?: unknown }} */ (error);
  const text = e?.code === 'INVALID_CONFIG' ? String(e.message) : String(e?.stack ?? error);
  process.stderr.write(`${PREFIX} start-up stopped: ${text}\n`);
  process.exit(1);
}

/** @param {ReturnType<typeof readOtelEnv>} settings */
function describeRouting(settings) {
  const where = (/** @type {string[]} */ kinds, /** @type {string | undefined} */ endpoint, /** @type {string} */ local) =>
    kinds.length === 0 ? 'none' : kinds.map((k) => (k === 'otlp' ? `otlp ${endpoint ?? 'http://localhost:4318'}` : local)).join(' + ');
  if (settings.disabled) return 'OTel SDK disabled (embedded telemetry)';
  return `traces: ${where(settings.traces, settings.endpoints.traces, 'console')}; logs: ${where(settings.logs, settings.endpoints.logs, 'stdout')}`;
}

function start() {
  /** @type {ReturnType<typeof readOtelEnv>} */
  let settings;
  /** @type {import('../dist/cjs/index.js').ProductionConfig} */
  let config;
  try {
    settings = readOtelEnv(process.env);
    config = resolveConfig({}, process.env);
  } catch (error) {
    fail(error);
  }

  /** @type {import('../dist/cjs/index.js').ProductionSystem | undefined} */
  let system;
  let adminPort = settings.admin.port;
  const report = (/** @type {string} */ message) => {
    process.stderr.write(`${PREFIX} ${message}\n`);
    system?.components.monitor.log('warn', 'telemetry', 'export', message);
  };

  /** @type {import('@opentelemetry/sdk-node').NodeSDK | undefined} */
  let sdk;
  /** @type {ReturnType<typeof buildExporters>['guards']} */
  let guards = [];
  if (!settings.disabled) {
    const { NodeSDK } = require('@opentelemetry/sdk-node');
    const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
    const { resourceFromAttributes } = require('@opentelemetry/resources');
    const { productionSdkConfig } = require('../dist/cjs/sdk/index.js');
    const exporters = buildExporters(settings, report);
    guards = exporters.guards;
    const version = process.env.npm_package_version;
    sdk = new NodeSDK({
      // Our readers, views and the recent-traces processor for /status, with the exporters' processors.
      ...productionSdkConfig(
        { cardinalityLimit: config.monitoring.cardinalityLimit },
        { metricReaders: exporters.metricReaders, spanProcessors: exporters.spanProcessors },
      ),
      logRecordProcessors: exporters.logRecordProcessors,
      // Env attributes are merged after this and win; npm sets the version when run by `npm start`.
      ...(version ? { resource: resourceFromAttributes({ 'service.version': version }) } : {}),
      instrumentations: [
        new HttpInstrumentation({
          // Scrapes and probes of the admin server are not the service's traffic.
          ignoreIncomingRequestHook: (req) => req.socket?.localPort === adminPort,
        }),
      ],
    });
    sdk.start();
    // Loading them now lets the instrumentation patch the modules before the application takes them.
    require('node:http');
    require('node:https');
  }

  /** @type {import('../dist/cjs/index.js').Engine | undefined} */
  let attached;
  const engine = {
    healthCheck: () => (attached?.healthCheck ? attached.healthCheck() : undefined),
    stats: () => (attached?.stats ? attached.stats() : {}),
  };
  try {
    system = createProductionSystem(engine, {}, { env: process.env });
  } catch (error) {
    fail(error);
  }
  system.components.shutdown.setupSignalHandlers();
  const admin = system.startAdminServer({ host: settings.admin.host, port: settings.admin.port }).then(
    (address) => {
      adminPort = address.port;
      const base = `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
      process.stderr.write(`${PREFIX} ${base}/metrics, ${base}/readyz and ${base}/status are up (${describeRouting(settings)})\n`);
      return address;
    },
    (error) => fail(new Error(`the admin server could not listen on ${settings.admin.host}:${settings.admin.port} (set OTEL_EXPORTER_PROMETHEUS_HOST/OTEL_EXPORTER_PROMETHEUS_PORT): ${error?.message ?? error}`)),
  );
  return {
    system,
    sdk,
    admin,
    exportFailures: () => guards.reduce((n, g) => n + g.failures, 0),
    /** @param {import('../dist/cjs/index.js').Engine} next */
    attach(next) {
      attached = next;
    },
  };
}

/** @type {Record<symbol, ReturnType<typeof start> | undefined>} */
const holder = /** @type {any} */ (globalThis);
const state = (holder[STATE] ??= start());

/** The process-wide ProductionSystem the preload created. */
function getProductionSystem() {
  return state.system;
}

/**
 * Makes `engine` the one behind the system's `engine` health check and status (its `healthCheck()` and
 * `stats()`); the preload starts before the application has built it. Returns the system.
 * @param {import('../dist/cjs/index.js').Engine} engine
 */
function attachEngine(engine) {
  state.attach(engine);
  return state.system;
}

/** Resolves with the admin server's bound address once it listens. */
function adminAddress() {
  return state.admin;
}

/** Export attempts that failed since start (all OTLP exporters). */
function exportFailures() {
  return state.exportFailures();
}

module.exports = { getProductionSystem, attachEngine, adminAddress, exportFailures };
