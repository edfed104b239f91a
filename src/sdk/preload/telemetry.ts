// The preload's OTel setup, loading only what the settings use. With an exporter to build (OTLP or console)
// or propagators beyond W3C, the OTel Node SDK builds the providers, as an application's own would. With
// none, nothing leaves the process, so the Node SDK (and the OTLP and gRPC exporter code it loads at once)
// is not loaded: createProductionSystem's embedded providers run with the same resource, our reader and
// the JSON-lines log processor, and the HTTP and our lean undici (Node's fetch) instrumentations are registered on them.
import { syncBuiltinESMExports } from 'node:module';
import type { IncomingMessage } from 'node:http';
import { diag, DiagConsoleLogger, type TextMapPropagator } from '@opentelemetry/api';
import { diagLogLevelFromString, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Instrumentation } from '@opentelemetry/instrumentation';
// Types only (erased): these modules are loaded when the settings use them.
import type * as InstrumentationApi from '@opentelemetry/instrumentation';
import type * as InstrumentationHttp from '@opentelemetry/instrumentation-http';
import type * as SdkNode from '@opentelemetry/sdk-node';
import type * as PropagatorB3 from '@opentelemetry/propagator-b3';
import type * as PropagatorJaeger from '@opentelemetry/propagator-jaeger';
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  resourceFromAttributes,
  serviceInstanceIdDetector,
  type Resource,
  type ResourceDetector,
} from '@opentelemetry/resources';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import { moduleRequire } from '../../internal/module-require.js';
import type { EmbeddedTelemetryOptions } from '../embedded.js';
import { leanUndiciInstrumentation } from '../instrumentations.js';
import { productionSdkConfig } from '../readers.js';
import type { PreloadSettings, ResourceDetectorName } from '../../register/env.js';
import type { ExportGuard } from './export-guard.js';
import { buildExporters } from './exporters.js';
import { installDirectLogs } from '../direct-logs.js';
import { instrumentHttpServers } from './http-server.js';
import { JsonLinesLogProcessor } from './json-logs.js';

const DETECTORS: Readonly<Record<ResourceDetectorName, ResourceDetector>> = {
  env: envDetector,
  host: hostDetector,
  os: osDetector,
  process: processDetector,
  serviceinstance: serviceInstanceIdDetector,
};
// The OTel Node SDK's own default when OTEL_NODE_RESOURCE_DETECTORS is unset.
const DEFAULT_DETECTORS: readonly ResourceDetectorName[] = ['env', 'process', 'host'];
const W3C_PROPAGATORS = ['baggage', 'tracecontext'];

/** The resource both setups use: the SDK default, `service.version` when npm gave one, then the detectors'. */
export function preloadResource(settings: PreloadSettings, version: string | undefined): Resource {
  let resource = defaultResource();
  if (version) resource = resource.merge(resourceFromAttributes({ 'service.version': version }));
  const detectors = (settings.resourceDetectors ?? DEFAULT_DETECTORS).map((name) => DETECTORS[name]);
  return resource.merge(detectResources({ detectors }));
}

/** True when the settings need the OTel Node SDK: an exporter to build, or propagators other than W3C's two. */
export function needsNodeSdk(settings: PreloadSettings): boolean {
  const propagators = settings.propagators === undefined ? W3C_PROPAGATORS : [...new Set(settings.propagators)].sort();
  return (
    settings.traces.length > 0 ||
    settings.logs.includes('otlp') ||
    settings.metrics.some((kind) => kind !== 'prometheus') ||
    propagators.join(',') !== W3C_PROPAGATORS.join(',')
  );
}

/**
 * The propagators `OTEL_PROPAGATORS` names, built as the Node SDK would, for our composite (which adds the
 * deadline propagator): undefined for the default (W3C's two), null for `none` (no propagation at all).
 */
export function preloadPropagators(names: readonly string[] | undefined): TextMapPropagator[] | null | undefined {
  if (names === undefined) return undefined;
  if (names.includes('none')) return null;
  return [...new Set(names)].map((name): TextMapPropagator => {
    if (name === 'tracecontext') return new W3CTraceContextPropagator();
    if (name === 'baggage') return new W3CBaggagePropagator();
    if (name === 'jaeger') {
      const { JaegerPropagator } = moduleRequire('@opentelemetry/propagator-jaeger') as typeof PropagatorJaeger;
      return new JaegerPropagator();
    }
    // b3 (single header) or b3multi; the list was validated by readOtelEnv.
    const { B3Propagator, B3InjectEncoding } = moduleRequire('@opentelemetry/propagator-b3') as typeof PropagatorB3;
    return new B3Propagator(name === 'b3multi' ? { injectEncoding: B3InjectEncoding.MULTI_HEADER } : {});
  });
}

/** Options of {@link startTelemetry}. */
export interface TelemetryStartOptions {
  readonly cardinalityLimit: number;
  /** Cap on a deadline read from an incoming request (`deadlines.maxIncomingMs`). */
  readonly maxIncomingDeadlineMs?: number;
  /** `service.version` (npm sets `npm_package_version` under `npm start`). */
  readonly version: string | undefined;
  /** The admin server's port, whose requests are not traced (known once it listens). */
  readonly adminPort: () => number;
  /** Where `PRODUCTION_HTTP_SERVER_INSTRUMENTATION` is read (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Receives the one report of each exporter's first failure. */
  readonly report: (message: string) => void;
}

/** What {@link startTelemetry} set up. */
export interface PreloadTelemetry {
  /** Which setup runs. */
  readonly mode: 'node-sdk' | 'embedded' | 'disabled';
  /** The started NodeSDK in `node-sdk` mode. */
  readonly sdk: NodeSDK | undefined;
  /** One per OTLP exporter. */
  readonly guards: readonly ExportGuard[];
  /** For createProductionSystem: the embedded providers' options (used when no SDK registered providers). */
  readonly embedded: EmbeddedTelemetryOptions;
  /** Registers the HTTP and undici (fetch) instrumentations on the registered providers, in `embedded` mode; call after createProductionSystem. */
  instrumentHttp(): void;
}

/** Which instrumentation traces incoming requests (`PRODUCTION_HTTP_SERVER_INSTRUMENTATION`). */
export type HttpServerInstrumentationKind = 'lean' | 'otel';
const HTTP_SERVER_VARIABLE = 'PRODUCTION_HTTP_SERVER_INSTRUMENTATION';

/**
 * `PRODUCTION_HTTP_SERVER_INSTRUMENTATION`: `lean` (default) for our own server instrumentation, `otel` for
 * instrumentation-http's server side. Another value is reported through `report` and the default is used.
 */
export function httpServerInstrumentationKind(env: NodeJS.ProcessEnv, report: (message: string) => void): HttpServerInstrumentationKind {
  const raw = env[HTTP_SERVER_VARIABLE]?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'lean') return 'lean';
  if (raw === 'otel') return 'otel';
  report(`${HTTP_SERVER_VARIABLE}="${env[HTTP_SERVER_VARIABLE]}" is not one of lean, otel; using lean`);
  return 'lean';
}

// instrumentation-http's client side and, with `otel`, its server side; otherwise the server side is our
// lean one (./http-server.ts), same spans and metric. Scrapes and probes of the admin server are not the
// service's traffic, whichever traces the server.
function httpInstrumentation(server: HttpServerInstrumentationKind, adminPort: () => number): Instrumentation {
  const { HttpInstrumentation } = moduleRequire('@opentelemetry/instrumentation-http') as typeof InstrumentationHttp;
  if (server === 'otel')
    return new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => request.socket?.localPort === adminPort() });
  return new HttpInstrumentation({ disableIncomingRequestInstrumentation: true });
}

// After the providers are registered: the metrics API has no proxy, a meter taken before would stay a no-op.
function instrumentServers(server: HttpServerInstrumentationKind, adminPort: () => number): void {
  if (server === 'lean') instrumentHttpServers({ ignore: (request: IncomingMessage) => request.socket?.localPort === adminPort() });
}

// Loading them now lets the instrumentation patch the modules before the application takes them; the ES
// module views of the built-ins (which our ES-module build may have created already) are brought in line.
function patchHttpModules(): void {
  moduleRequire('node:http');
  moduleRequire('node:https');
  syncBuiltinESMExports();
}

/** Starts the OTel setup the settings ask for (see the module comment). */
export function startTelemetry(settings: PreloadSettings, options: TelemetryStartOptions): PreloadTelemetry {
  const cardinality = {
    cardinalityLimit: options.cardinalityLimit,
    ...(options.maxIncomingDeadlineMs !== undefined ? { maxIncomingDeadlineMs: options.maxIncomingDeadlineMs } : {}),
  };
  if (settings.disabled) return { mode: 'disabled', sdk: undefined, guards: [], embedded: cardinality, instrumentHttp() {} };
  const server = httpServerInstrumentationKind(options.env ?? process.env, options.report);
  const resource = preloadResource(settings, options.version);

  if (needsNodeSdk(settings)) {
    const { NodeSDK: Sdk } = moduleRequire('@opentelemetry/sdk-node') as typeof SdkNode;
    const exporters = buildExporters(settings, options.report);
    const propagators = preloadPropagators(settings.propagators);
    // The lean undici instrumentation (Node's fetch, ./undici-client.ts) beside the HTTP one; our config then
    // adds no official undici instrumentation.
    const { textMapPropagator, ...ours } = productionSdkConfig(cardinality, {
      metricReaders: exporters.metricReaders,
      spanProcessors: exporters.spanProcessors,
      instrumentations: [httpInstrumentation(server, options.adminPort), leanUndiciInstrumentation()],
      ...(propagators ? { propagators } : {}),
    });
    const sdk = new Sdk({
      // Our reader, views, propagators (the deadline's too) and the recent-traces processor for /status, with
      // the exporters' processors. OTEL_PROPAGATORS=none turns propagation off, ours included.
      ...ours,
      textMapPropagator: propagators === null ? null : textMapPropagator,
      logRecordProcessors: exporters.logRecordProcessors,
      resource,
      autoDetectResources: false,
    });
    sdk.start();
    installDirectLogs();
    patchHttpModules();
    instrumentServers(server, options.adminPort);
    return { mode: 'node-sdk', sdk, guards: exporters.guards, embedded: cardinality, instrumentHttp() {} };
  }

  // The Node SDK would set this up from OTEL_LOG_LEVEL; without it, the same here.
  if (settings.logLevel !== undefined) diag.setLogger(new DiagConsoleLogger(), { logLevel: diagLogLevelFromString(settings.logLevel) });
  return {
    mode: 'embedded',
    sdk: undefined,
    guards: [],
    embedded: {
      ...cardinality,
      resource,
      logRecordProcessors: settings.logs.includes('console') ? [new JsonLinesLogProcessor(process.stdout)] : [],
    },
    instrumentHttp() {
      const { registerInstrumentations } = moduleRequire('@opentelemetry/instrumentation') as typeof InstrumentationApi;
      registerInstrumentations({ instrumentations: [httpInstrumentation(server, options.adminPort), leanUndiciInstrumentation()] });
      patchHttpModules();
      instrumentServers(server, options.adminPort);
    },
  };
}
