// The OTel SDK set-up shared by the cases that need one: an AsyncLocalStorage context manager, a sampled
// tracer provider with a batch processor to an exporter that discards, and a meter provider with a reader.
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

class PullReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

const discard = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
  forceFlush: async () => {},
};

/** Registers the SDK globally; `readers` defaults to one pull reader. */
export function installOtel(readers = [new PullReader()]) {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({
      spanProcessors: [new BatchSpanProcessor(discard, { maxQueueSize: 8192, maxExportBatchSize: 2048, scheduledDelayMillis: 100 })],
    }),
  );
  metrics.setGlobalMeterProvider(new MeterProvider({ readers }));
}
