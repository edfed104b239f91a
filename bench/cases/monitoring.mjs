// Monitoring costs: one log call against pino, one alert evaluation and one Prometheus scrape over 1,000
// series, and prom-client's scrape of the same series; then the same at 10,000 series, with the longest
// event-loop stall during one of our scrapes (which run on the service's event loop).
import pino from 'pino';
import client from 'prom-client';
import { metrics } from '@opentelemetry/api';
import { ProductionMonitor } from '../../dist/esm/monitoring/index.js';
import { ensureEmbeddedTelemetry } from '../../dist/esm/sdk/index.js';
import { report } from './_measure.mjs';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Mean ns per synchronous call, best of `rounds`. */
function nsPerSyncCall(fn, { iterations = 200_000, rounds = 5, warmup = 50_000 } = {}) {
  for (let i = 0; i < warmup; i++) fn(i);
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn(i);
    const ns = Number(process.hrtime.bigint() - start) / iterations;
    if (ns < best) best = ns;
  }
  return Math.round(best * 10) / 10;
}

/** Mean ms per awaited call, best of `rounds`. */
async function msPerCall(fn, { iterations = 20, rounds = 5, warmup = 10 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await fn();
    const ms = Number(process.hrtime.bigint() - start) / 1e6 / iterations;
    if (ms < best) best = ms;
  }
  return Math.round(best * 1000) / 1000;
}

const discard = { onEmit() {}, async forceFlush() {}, async shutdown() {} };
// 5,000 series per instrument at the 10,000-series step: above the default cardinality limit of 2,000.
const telemetry = ensureEmbeddedTelemetry({ serviceName: 'bench', logRecordProcessors: [discard], cardinalityLimit: 10_000 });
const monitor = new ProductionMonitor({ runtimeMetrics: false });

const metadata = { 'http.route': '/orders', 'production.attempt': 2, cached: false };
const log_ns = nsPerSyncCall(() => monitor.log('info', 'bench', 'place_order', 'order placed', metadata));

// pino's cheapest destination: an object whose write() discards the line.
const logger = pino({ level: 'info' }, { write() {} });
const pino_ns = nsPerSyncCall(() => logger.info(metadata, 'order placed'));

// 1,000 series in both registries: 500 counter series and 500 histogram series.
const meter = metrics.getMeter('bench');
const requests = meter.createCounter('bench.requests', { description: 'Requests' });
const latency = meter.createHistogram('production.operation.duration', {
  description: 'Duration of protected operations, from admission to outcome',
  unit: 's',
  advice: { explicitBucketBoundaries: BUCKETS },
});
const registry = new client.Registry();
const pcRequests = new client.Counter({ name: 'bench_requests_total', help: 'Requests', labelNames: ['route'], registers: [registry] });
const pcLatency = new client.Histogram({
  name: 'production_operation_duration',
  help: 'Duration',
  labelNames: ['production_operation_name', 'production_outcome'],
  buckets: BUCKETS,
  registers: [registry],
});
/** Adds series `from` to `to` (exclusive) of each half: counter series and histogram series, 5 values each. */
function addSeries(from, to) {
  for (let i = from; i < to; i++) {
    const op = `op_${i % 250}_${Math.floor(i / 500)}`;
    const outcome = i % 500 < 250 ? 'success' : 'error';
    requests.add(i + 1, { route: `/r/${i}` });
    pcRequests.inc({ route: `/r/${i}` }, i + 1);
    for (let k = 0; k < 5; k++) {
      const v = (k + 1) * 0.01 * ((i % 7) + 1);
      latency.record(v, { 'production.operation.name': op, 'production.outcome': outcome });
      pcLatency.observe({ production_operation_name: op, production_outcome: outcome }, v);
    }
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The longest event-loop stall (ms) during one scrape, median of `rounds` scrapes after a warm-up one. A
 * timer probe ticks every millisecond from 10 ms before the scrape to 10 ms after it (so the first and the
 * last stall are both seen); a stall is the gap between two ticks.
 */
async function maxBlockMs(scrape, rounds = 7) {
  await scrape();
  const stalls = [];
  for (let r = 0; r < rounds; r++) {
    let last = performance.now();
    let longest = 0;
    const probe = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 1);
    await sleep(10);
    await scrape();
    await sleep(10);
    clearInterval(probe);
    stalls.push(longest);
  }
  stalls.sort((a, b) => a - b);
  return Math.round(stalls[rounds >> 1] * 10) / 10;
}

addSeries(0, 500);
const alert_eval_ms_1000_series = await msPerCall(() => monitor.evaluateAlerts());
const scrape_ms_1000_series = await msPerCall(() => monitor.exportPrometheusMetrics());
const promclient_scrape_ms_1000_series = await msPerCall(() => registry.metrics());

addSeries(500, 5000);
const big = { iterations: 3, rounds: 3, warmup: 2 };
const scrape_ms_10000_series = await msPerCall(() => monitor.exportPrometheusMetrics(), big);
const promclient_scrape_ms_10000_series = await msPerCall(() => registry.metrics(), big);
const scrape_max_block_ms_10000_series = await maxBlockMs(() => monitor.exportPrometheusMetrics());
const promclient_scrape_max_block_ms_10000_series = await maxBlockMs(() => registry.metrics());

await monitor.shutdown();
await telemetry.shutdown();
report({
  log_ns,
  pino_ns,
  alert_eval_ms_1000_series,
  scrape_ms_1000_series,
  promclient_scrape_ms_1000_series,
  scrape_ms_10000_series,
  promclient_scrape_ms_10000_series,
  scrape_max_block_ms_10000_series,
  promclient_scrape_max_block_ms_10000_series,
});
