/**
 * `@llmkg/production/register`, the preload: `node --require @llmkg/production/register app.js` or
 * `node --import @llmkg/production/register app.mjs` (in this repository `./instrumentation` and
 * `./instrumentation/register.mjs`). Sets up OpenTelemetry from the OTEL_* variables with our metric reader,
 * the HTTP and undici (fetch) instrumentations and exporters (loading only what they use), creates the process-wide ProductionSystem,
 * installs the signal handlers and starts the admin server. A bad OTEL_* or PRODUCTION_* value stops the
 * process with an error naming the variable. Importing it again (the other module format included) returns
 * the same system.
 */
import * as nodeModule from 'node:module';
import type { ProductionConfig } from '../config.js';
import type { ConfigFile } from '../config/file.js';
import { createProductionSystem, resolveSources, type StandardProductionSystem } from '../create.js';
import type { Engine } from '../pipeline.js';
import { readOtelEnv, type PreloadSettings } from './env.js';
import { startTelemetry, type PreloadTelemetry } from '../sdk/preload/telemetry.js';

const PREFIX = '[@llmkg/production]';
const STATE = Symbol.for('@llmkg/production.instrumentation');

/** The admin server's bound address. */
export interface AdminAddress {
  readonly host: string;
  readonly port: number;
}

/** The system the preload runs. */
export type PreloadSystem = StandardProductionSystem<Engine>;

interface PreloadState {
  readonly system: PreloadSystem;
  readonly telemetry: PreloadTelemetry;
  readonly admin: Promise<AdminAddress>;
  attach(engine: Engine): void;
}

function fail(error: unknown): never {
  const e = error as { code?: unknown; message?: unknown; stack?: unknown } | undefined;
  const text = e?.code === 'INVALID_CONFIG' ? String(e.message) : String(e?.stack ?? error);
  process.stderr.write(`${PREFIX} start-up stopped: ${text}\n`);
  process.exit(1);
}

function describeRouting(settings: PreloadSettings): string {
  const where = (kinds: readonly string[], endpoint: string | undefined, local: string) =>
    kinds.length === 0 ? 'none' : kinds.map((k) => (k === 'otlp' ? `otlp ${endpoint ?? 'http://localhost:4318'}` : local)).join(' + ');
  if (settings.disabled) return 'OTel SDK disabled (embedded telemetry)';
  return `traces: ${where(settings.traces, settings.endpoints.traces, 'console')}; logs: ${where(settings.logs, settings.endpoints.logs, 'stdout')}`;
}

/**
 * Why the preload's admin server did not start, with what to change under the preload: its address comes from
 * OTEL_EXPORTER_PROMETHEUS_HOST/PORT (the admin.port of code config is not read here), so a second service on
 * the same machine needs a port of its own.
 */
function adminListenFailure(settings: PreloadSettings, error: unknown): string {
  const where = `${settings.admin.host}:${settings.admin.port}`;
  if ((error as { code?: unknown } | undefined)?.code === 'ADDRESS_IN_USE')
    return `the admin server could not listen on ${where}: the address is already in use (another service under the preload?). Give each service its own admin port with OTEL_EXPORTER_PROMETHEUS_PORT (0 for any free port), or its own address with OTEL_EXPORTER_PROMETHEUS_HOST`;
  return `the admin server could not listen on ${where} (set OTEL_EXPORTER_PROMETHEUS_HOST/OTEL_EXPORTER_PROMETHEUS_PORT): ${(error as Error | undefined)?.message ?? String(error)}`;
}

/**
 * Node 22.1+ keeps V8's compiled code of the modules loaded from here on (the HTTP instrumentation, the Node SDK
 * and exporters when configured, the application) on disk for the next start; Node 20 has no such cache (a
 * no-op there). `NODE_DISABLE_COMPILE_CACHE=1` turns it off, `NODE_COMPILE_CACHE` chooses the directory.
 */
function enableCompileCache(): void {
  try {
    (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
  } catch {
    // A cache is an optimisation: a directory that cannot be used must not stop the start.
  }
}

function start(): PreloadState {
  enableCompileCache();
  let settings: PreloadSettings;
  let config: ProductionConfig;
  let file: ConfigFile | undefined;
  try {
    settings = readOtelEnv(process.env);
    // PRODUCTION_CONFIG_FILE is read once, here; the system below is built from the same file.
    ({ config, file } = resolveSources({}, { env: process.env }));
  } catch (error) {
    fail(error);
  }

  let system: PreloadSystem | undefined;
  let adminPort = settings.admin.port;
  const telemetry = startTelemetry(settings, {
    cardinalityLimit: config.monitoring.cardinalityLimit,
    maxIncomingDeadlineMs: config.deadlines.maxIncomingMs,
    version: process.env.npm_package_version,
    adminPort: () => adminPort,
    report(message) {
      process.stderr.write(`${PREFIX} ${message}\n`);
      system?.components.monitor.log('warn', 'telemetry', 'export', message);
    },
  });

  // The preload starts before the application has built its engine: this one forwards to it once attached.
  let attached: Engine | undefined;
  const engine: Engine = {
    healthCheck: () => (attached?.healthCheck ? attached.healthCheck() : undefined),
    stats: () => (attached?.stats ? attached.stats() : {}),
  };
  try {
    system = createProductionSystem(engine, {}, { env: process.env, telemetry: telemetry.embedded, configFile: file ?? false });
  } catch (error) {
    fail(error);
  }
  telemetry.instrumentHttp();
  system.components.shutdown.setupSignalHandlers();
  // OTEL_EXPORTER_PROMETHEUS_HOST/_PORT (environment) win over the file's `admin` section, which wins over the default.
  const envSet = (name: string): boolean => (process.env[name] ?? '').trim() !== '';
  const listen = {
    host: envSet('OTEL_EXPORTER_PROMETHEUS_HOST') ? settings.admin.host : config.admin.host,
    port: envSet('OTEL_EXPORTER_PROMETHEUS_PORT') ? settings.admin.port : config.admin.port,
  };
  adminPort = listen.port;
  const admin = system.startAdminServer(listen).then(
    (address): AdminAddress => {
      adminPort = address.port;
      const base = `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
      process.stderr.write(`${PREFIX} ${base}/metrics, ${base}/readyz and ${base}/status are up (${describeRouting(settings)})\n`);
      return address;
    },
    (error: unknown) => fail(new Error(adminListenFailure(settings, error))),
  );
  return {
    system,
    telemetry,
    admin,
    attach(next) {
      attached = next;
    },
  };
}

const holder = globalThis as unknown as Record<symbol, PreloadState | undefined>;
const state: PreloadState = (holder[STATE] ??= start());

/** The process-wide ProductionSystem the preload created. */
export function getProductionSystem(): PreloadSystem {
  return state.system;
}

/**
 * Makes `engine` the one behind the system's `engine` health check and status (its `healthCheck()` and
 * `stats()`); the preload starts before the application has built it. Returns the system.
 */
export function attachEngine(engine: Engine): PreloadSystem {
  state.attach(engine);
  return state.system;
}

/** Resolves with the admin server's bound address once it listens. */
export function adminAddress(): Promise<AdminAddress> {
  return state.admin;
}

/** Export attempts that failed since start (all OTLP exporters). */
export function exportFailures(): number {
  return state.telemetry.guards.reduce((n, g) => n + g.failures, 0);
}
