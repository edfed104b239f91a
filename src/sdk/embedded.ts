import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { defaultResource, detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { LoggerProvider, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeTracerProvider, type Sampler, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { installDirectLogs } from './direct-logs.js';
import type { ProductionMetricReader } from './production-reader.js';
import { recentTracesProcessor } from './recent-traces.js';
import { productionPropagator } from './propagator.js';
import { productionReader, productionViews, type ProductionReadersOptions } from './readers.js';

/** Options of {@link ensureEmbeddedTelemetry}; used only by the call that sets the providers up. */
export interface EmbeddedTelemetryOptions extends ProductionReadersOptions {
  /** `service.name` (else `OTEL_SERVICE_NAME`, else the SDK default). */
  readonly serviceName?: string;
  /** Extra resource attributes. */
  readonly resourceAttributes?: Readonly<Record<string, string | number | boolean>>;
  /** The whole resource, already detected (the preload's, so both of its setups agree); `serviceName` and `resourceAttributes` are then ignored. */
  readonly resource?: Resource;
  /** Readers besides ours, e.g. an OTLP PeriodicExportingMetricReader. */
  readonly metricReaders?: readonly IMetricReader[];
  /** Span processors (exporters), after our ring of recent operation spans; none else by default, so spans carry IDs but go nowhere. */
  readonly spanProcessors?: readonly SpanProcessor[];
  /** Sampler (default: the SDK's, which honours `OTEL_TRACES_SAMPLER`). */
  readonly sampler?: Sampler;
  /** Log record processors; none by default (records still reach the monitor's ring). */
  readonly logRecordProcessors?: readonly LogRecordProcessor[];
  /** Cap on a deadline read from an incoming request (`deadlines.maxIncomingMs`). */
  readonly maxIncomingDeadlineMs?: number;
}

/** Which globals the embedded setup registered (false: the application had its own). */
export interface EmbeddedRegistrations {
  readonly meterProvider: boolean;
  readonly tracerProvider: boolean;
  readonly loggerProvider: boolean;
  readonly contextManager: boolean;
  readonly propagator: boolean;
}

/** A lease on the embedded telemetry; the last `shutdown()` flushes and unregisters what was registered. */
export interface EmbeddedTelemetry {
  readonly registered: EmbeddedRegistrations;
  /** Our reader when the embedded MeterProvider was registered, else undefined (the app's SDK owns metrics). */
  readonly reader: ProductionMetricReader | undefined;
  readonly meterProvider: MeterProvider | undefined;
  readonly tracerProvider: NodeTracerProvider | undefined;
  readonly loggerProvider: LoggerProvider | undefined;
  forceFlush(): Promise<void>;
  /** Releases this lease (idempotent). */
  shutdown(): Promise<void>;
}

interface State {
  leases: number;
  readonly registered: EmbeddedRegistrations;
  readonly reader: ProductionMetricReader | undefined;
  readonly meterProvider: MeterProvider | undefined;
  readonly tracerProvider: NodeTracerProvider | undefined;
  readonly loggerProvider: LoggerProvider | undefined;
  readonly contextManager: AsyncLocalStorageContextManager | undefined;
}

const STATE = Symbol.for('@llmkg/production.embedded-telemetry');
const API_GLOBALS = Symbol.for('opentelemetry.js.api.1');
type Holder = Record<symbol, unknown>;

// Peeking at the API's registry avoids its diag error on a refused duplicate registration.
function apiHas(kind: 'trace' | 'metrics' | 'context' | 'propagation'): boolean {
  const registry = (globalThis as unknown as Holder)[API_GLOBALS] as Record<string, unknown> | undefined;
  return registry?.[kind] !== undefined;
}

function buildResource(options: EmbeddedTelemetryOptions): Resource {
  let resource = defaultResource().merge(detectResources({ detectors: [envDetector] }));
  const extra: Record<string, string | number | boolean> = { ...options.resourceAttributes };
  if (options.serviceName !== undefined) extra['service.name'] = options.serviceName;
  if (Object.keys(extra).length > 0) resource = resource.merge(resourceFromAttributes(extra));
  return resource;
}

function setUp(options: EmbeddedTelemetryOptions): State {
  installDirectLogs();
  const resource = options.resource ?? buildResource(options);
  let meterProvider: MeterProvider | undefined;
  let reader: ProductionMetricReader | undefined;
  if (!apiHas('metrics')) {
    const candidate = productionReader(options);
    if (!candidate.isBound) {
      reader = candidate;
      meterProvider = new MeterProvider({
        resource,
        readers: [candidate, ...(options.metricReaders ?? [])],
        views: productionViews(options.cardinalityLimit !== undefined ? { cardinalityLimit: options.cardinalityLimit } : {}),
      });
      if (!metrics.setGlobalMeterProvider(meterProvider)) {
        void meterProvider.shutdown();
        meterProvider = undefined;
        reader = undefined;
      }
    }
  }
  let tracerProvider: NodeTracerProvider | undefined;
  if (!apiHas('trace')) {
    tracerProvider = new NodeTracerProvider({
      resource,
      spanProcessors: [recentTracesProcessor(), ...(options.spanProcessors ?? [])],
      ...(options.sampler ? { sampler: options.sampler } : {}),
    });
    if (!trace.setGlobalTracerProvider(tracerProvider)) {
      void tracerProvider.shutdown();
      tracerProvider = undefined;
    }
  }
  let contextManager: AsyncLocalStorageContextManager | undefined;
  if (!apiHas('context')) {
    contextManager = new AsyncLocalStorageContextManager().enable();
    if (!context.setGlobalContextManager(contextManager)) {
      contextManager.disable();
      contextManager = undefined;
    }
  }
  let propagator = false;
  if (!apiHas('propagation')) {
    // W3C trace context and baggage, and the deadline that travels with a call.
    const maxIncomingDeadlineMs = options.maxIncomingDeadlineMs;
    propagator = propagation.setGlobalPropagator(
      productionPropagator(maxIncomingDeadlineMs !== undefined ? { maxIncomingDeadlineMs } : {}),
    );
  }
  let loggerProvider: LoggerProvider | undefined = new LoggerProvider({ resource, processors: [...(options.logRecordProcessors ?? [])] });
  if (logs.setGlobalLoggerProvider(loggerProvider) !== loggerProvider) {
    void loggerProvider.shutdown();
    loggerProvider = undefined;
  }
  return {
    leases: 0,
    registered: {
      meterProvider: meterProvider !== undefined,
      tracerProvider: tracerProvider !== undefined,
      loggerProvider: loggerProvider !== undefined,
      contextManager: contextManager !== undefined,
      propagator,
    },
    reader,
    meterProvider,
    tracerProvider,
    loggerProvider,
    contextManager,
  };
}

async function tearDown(state: State): Promise<void> {
  await Promise.allSettled([state.meterProvider?.shutdown(), state.tracerProvider?.shutdown(), state.loggerProvider?.shutdown()]);
  // Unregister only what we registered, so a later call can set the globals up again.
  if (state.registered.meterProvider) metrics.disable();
  if (state.registered.tracerProvider) trace.disable();
  if (state.registered.loggerProvider) logs.disable();
  if (state.registered.propagator) propagation.disable();
  if (state.contextManager) {
    context.disable();
    state.contextManager.disable();
  }
}

/**
 * Registers embedded OTel providers for whatever the application has not registered itself: a
 * MeterProvider with our readers and views, a NodeTracerProvider, an AsyncLocalStorage context manager,
 * W3C trace-context and baggage propagators, and a LoggerProvider. Idempotent: later calls take another
 * lease on the same setup (their options are ignored). When the application has its own MeterProvider,
 * our readers must be in it (`productionSdkConfig()`), or `getPrometheusMetrics()` says how to add them.
 */
export function ensureEmbeddedTelemetry(options: EmbeddedTelemetryOptions = {}): EmbeddedTelemetry {
  const holder = globalThis as unknown as Holder;
  let state = holder[STATE] as State | undefined;
  if (state === undefined) {
    state = setUp(options);
    holder[STATE] = state;
  }
  const current = state;
  current.leases++;
  let released: Promise<void> | undefined;
  return {
    registered: current.registered,
    reader: current.reader,
    meterProvider: current.meterProvider,
    tracerProvider: current.tracerProvider,
    loggerProvider: current.loggerProvider,
    async forceFlush() {
      await Promise.all([current.meterProvider?.forceFlush(), current.tracerProvider?.forceFlush(), current.loggerProvider?.forceFlush()]);
    },
    shutdown() {
      released ??= (async () => {
        current.leases--;
        if (current.leases > 0) return;
        if (holder[STATE] === current) holder[STATE] = undefined;
        await tearDown(current);
      })();
      return released;
    },
  };
}
