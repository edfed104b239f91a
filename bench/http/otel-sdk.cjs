'use strict';
// `node --require ./bench/http/otel-sdk.cjs server.cjs bare`: the plain OTel Node SDK as a user would set it
// up, to compare our preload with: the HTTP instrumentation, every span sampled and batched to an exporter that
// drops them, and the Prometheus exporter as the metric reader.
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { PrometheusExporter } = require('@opentelemetry/exporter-prometheus');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');

const dropping = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
  forceFlush: async () => {},
};
const sdk = new NodeSDK({
  spanProcessors: [new BatchSpanProcessor(dropping)],
  metricReader: new PrometheusExporter({ host: '127.0.0.1', port: Number(process.env.BENCH_PROMETHEUS_PORT ?? 0) }),
  instrumentations: [new HttpInstrumentation()],
  autoDetectResources: false,
});
sdk.start();
