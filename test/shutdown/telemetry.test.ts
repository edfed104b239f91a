import { metrics, trace } from '@opentelemetry/api';
import { logs, SeverityNumber } from '@opentelemetry/api-logs';
import { BatchLogRecordProcessor, InMemoryLogRecordExporter, LoggerProvider } from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type GaugeMetricData,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createCleanupHandler,
  createServerCloseHandler,
  createTelemetryFlushHandler,
  GracefulShutdownManager,
  TELEMETRY_FLUSH_PRIORITY,
} from '../../src/shutdown/index.js';
import { registeredTelemetryProviders } from '../../src/shutdown/builtins.js';
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import { deferred, phaseReached } from './helpers.js';

/** In-memory exporters forget everything on shutdown; these subclasses keep it for the assertions. */
class KeepingSpanExporter extends InMemorySpanExporter {
  override shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
class KeepingLogExporter extends InMemoryLogRecordExporter {
  override async shutdown(): Promise<void> {}
}

let spans: InMemorySpanExporter;
let metricExporter: InMemoryMetricExporter;
let logExporter: InMemoryLogRecordExporter;
let tracerProvider: BasicTracerProvider;
let meterProvider: MeterProvider;
let loggerProvider: LoggerProvider;

beforeEach(() => {
  spans = new KeepingSpanExporter();
  // Long delays: nothing is exported unless the shutdown flushes it.
  tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(spans, { scheduledDelayMillis: 600_000 })] });
  trace.setGlobalTracerProvider(tracerProvider);
  metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  meterProvider = new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 600_000 })],
  });
  metrics.setGlobalMeterProvider(meterProvider);
  logExporter = new KeepingLogExporter();
  loggerProvider = new LoggerProvider({
    processors: [new BatchLogRecordProcessor({ exporter: logExporter, scheduledDelayMillis: 600_000 })],
  });
  logs.setGlobalLoggerProvider(loggerProvider);
});

afterEach(async () => {
  trace.disable();
  metrics.disable();
  logs.disable();
  await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown(), loggerProvider.shutdown()]);
});

function phaseGauge(): Map<string, number> {
  const out = new Map<string, number>();
  for (const rm of metricExporter.getMetrics()) {
    for (const sm of rm.scopeMetrics) {
      for (const metric of sm.metrics) {
        if (metric.descriptor.name !== 'production.shutdown.phase') continue;
        expect(metric.descriptor.unit).toBe('1');
        expect(metric.descriptor.description).not.toBe('');
        for (const point of (metric as GaugeMetricData).dataPoints) out.set(String(point.attributes.phase), point.value);
      }
    }
  }
  return out;
}

describe('shutdown telemetry', () => {
  it('finds the real providers behind the API proxies', () => {
    const found = registeredTelemetryProviders();
    expect(found).toHaveLength(3);
    expect(found).toContain(tracerProvider);
    expect(found).toContain(meterProvider);
    expect(found).toContain(loggerProvider);
  });

  it('exports one shutdown span with a child per phase, the phase gauge and the last logs, all flushed last', async () => {
    const manager = new GracefulShutdownManager({ preStopDelayMs: 0 });
    const otelLogger = logs.getLogger('test');
    manager.registerHandler('app', { cleanup: () => otelLogger.emit({ severityNumber: SeverityNumber.INFO, body: 'app closed' }) });
    manager.registerHandler('telemetry', createTelemetryFlushHandler(), { priority: TELEMETRY_FLUSH_PRIORITY });
    // Collect the gauge while running: only `running` is 1.
    await meterProvider.forceFlush();
    expect(phaseGauge().get('running')).toBe(1);
    expect(phaseGauge().get('terminated')).toBe(0);
    metricExporter.reset();
    expect(spans.getFinishedSpans()).toHaveLength(0);
    const order: string[] = [];
    for (const [name, provider] of [
      ['trace', tracerProvider],
      ['metrics', meterProvider],
      ['logs', loggerProvider],
    ] as const) {
      const flush = provider.forceFlush.bind(provider);
      const shutdown = provider.shutdown.bind(provider);
      vi.spyOn(provider, 'forceFlush').mockImplementation(() => (order.push(`${name}.flush`), flush()));
      vi.spyOn(provider, 'shutdown').mockImplementation(() => (order.push(`${name}.shutdown`), shutdown()));
    }

    const report = await manager.initiateShutdown();
    expect(report.handlers.filter((h) => h.step === 'finalize').map((h) => [h.name, h.outcome])).toEqual([['telemetry', 'completed']]);
    expect(report.telemetryFlushed).toBe(true);
    const finished = spans.getFinishedSpans();
    const root = finished.find((s) => s.name === 'shutdown')!;
    expect(root).toBeDefined();
    expect(root.attributes['production.shutdown.reason']).toBe('manual');
    expect(root.attributes['production.shutdown.forced']).toBe(false);
    const children = finished.filter((s) => s.parentSpanContext?.spanId === root.spanContext().spanId);
    expect(children.map((s) => s.name)).toEqual([
      'shutdown.initiate_shutdown',
      'shutdown.stop_accepting_requests',
      'shutdown.finish_active_requests',
      'shutdown.save_state',
      'shutdown.cleanup_resources',
    ]);
    expect(children.every((s) => s.spanContext().traceId === root.spanContext().traceId)).toBe(true);
    // The flush exported the gauge as it stood at the end: terminated.
    const gauge = phaseGauge();
    expect(gauge.get('terminated')).toBe(1);
    expect([...gauge.values()].reduce((a, b) => a + b, 0)).toBe(1);
    expect(logExporter.getFinishedLogRecords().map((r) => r.body)).toEqual(['app closed']);
    // Every provider flushed, then every provider shut down.
    expect(order.slice(0, 3).sort()).toEqual(['logs.flush', 'metrics.flush', 'trace.flush']);
    expect(order.slice(3).sort()).toEqual(['logs.shutdown', 'metrics.shutdown', 'trace.shutdown']);
  });

  it('reports the current phase on the gauge while draining', async () => {
    const manager = new GracefulShutdownManager({ preStopDelayMs: 0 });
    const request = manager.trackActiveRequest();
    const draining = phaseReached(manager, 'finish_active_requests');
    const done = manager.initiateShutdown();
    await draining;
    await meterProvider.forceFlush();
    const gauge = phaseGauge();
    expect(gauge.get('finish_active_requests')).toBe(1);
    expect(gauge.get('running')).toBe(0);
    expect(gauge.size).toBe(7);
    request.release();
    await done;
    manager.dispose();
  });

  it('flushes every provider even when one fails, then reports the failure', async () => {
    const calls: string[] = [];
    const handler = createTelemetryFlushHandler({
      providers: () => [
        { forceFlush: async () => void calls.push('a.flush'), shutdown: async () => void calls.push('a.shutdown') },
        { forceFlush: async () => Promise.reject(new Error('exporter down')), shutdown: async () => void calls.push('b.shutdown') },
        { shutdown: async () => void calls.push('c.shutdown') },
      ],
    });
    await expect(handler.finalize!(new AbortController().signal)).rejects.toThrow('exporter down');
    expect(calls.sort()).toEqual(['a.flush', 'a.shutdown', 'b.shutdown', 'c.shutdown']);
  });

  it('stops waiting for a hung flush at the signal and skips shutdown', async () => {
    let shutdownCalled = false;
    const handler = createTelemetryFlushHandler({
      providers: () => [{ forceFlush: () => new Promise(() => undefined), shutdown: async () => void (shutdownCalled = true) }],
    });
    const controller = new AbortController();
    const done = handler.finalize!(controller.signal);
    controller.abort(new Error('flush deadline'));
    await expect(done).rejects.toThrow('flush deadline');
    expect(shutdownCalled).toBe(false);
  });
});

describe('built-in handlers', () => {
  it('createCleanupHandler runs the callback in the chosen step', async () => {
    const seen: string[] = [];
    const manager = new GracefulShutdownManager({ preStopDelayMs: 0 });
    manager.registerHandler(
      'health',
      createCleanupHandler(() => void seen.push(`health ready=${manager.isReady()}`), { step: 'initiate' }),
    );
    manager.registerHandler(
      'timers',
      createCleanupHandler(async () => void seen.push(`timers phase=${manager.getPhase()}`)),
    );
    await manager.initiateShutdown();
    expect(seen).toEqual(['health ready=false', 'timers phase=cleanup_resources']);
  });

  it('createServerCloseHandler stops listening, lets a busy request finish and closes idle keep-alive connections', async () => {
    const release = deferred();
    const slowArrived = deferred();
    const server: Server = createServer((req, res) => {
      if (req.url === '/slow') {
        slowArrived.resolve();
        void release.promise.then(() => res.end('slow done'));
      } else res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const get = (path: string, agent: Agent | false) =>
      new Promise<string>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path, agent }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve(body));
        });
        req.on('error', reject);
        req.end();
      });
    const keepAlive = new Agent({ keepAlive: true });
    expect(await get('/', keepAlive)).toBe('ok'); // leaves one idle keep-alive connection
    const slow = get('/slow', false);
    await slowArrived.promise;

    const manager = new GracefulShutdownManager({ preStopDelayMs: 0, cleanupTimeoutMs: 5000 });
    manager.registerHandler('server', createServerCloseHandler(server));
    // The next phase starts once every handler of stopAccepting has run.
    const stoppedAccepting = phaseReached(manager, 'finish_active_requests');
    const done = manager.initiateShutdown();
    await stoppedAccepting;
    expect(server.listening).toBe(false);
    await expect(get('/', false)).rejects.toThrow(/ECONNREFUSED/);
    release.resolve();
    expect(await slow).toBe('slow done');
    const report = await done;
    expect(report.handlers.filter((h) => h.name === 'server').map((h) => [h.step, h.outcome])).toEqual([
      ['initiate', 'completed'],
      ['stopAccepting', 'completed'],
      ['cleanup', 'completed'],
    ]);
    keepAlive.destroy();
  });
});
