import { SpanStatusCode } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { DURATION_BUCKETS_SECONDS } from '../../src/telemetry/names.js';
import { memoryLogger } from '../support/helpers.js';
import { installTestOtel } from '../support/otel.js';
import { Probe, system } from './helpers.js';

const otel = installTestOtel();
const otelLogs = new InMemoryLogRecordExporter();
logs.setGlobalLoggerProvider(new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: otelLogs })] }));

describe('health as OTel signals', () => {
  it('each check is a span named health.check <component>, failures marked as errors', async () => {
    otel.spans.reset();
    const health = system({ defaults: { criticalThreshold: 1 } });
    const probe = new Probe();
    health.registerComponent('db', probe.check);
    await health.checkComponentHealth('db');
    probe.mode = 'fail';
    await health.checkComponentHealth('db');
    const spans = otel.spans.getFinishedSpans().filter((s) => s.name === 'health.check db');
    expect(spans).toHaveLength(2);
    expect(spans[0]!.attributes).toMatchObject({ 'production.component': 'db', status: 'healthy' });
    expect(spans[1]!.attributes).toMatchObject({ status: 'critical', 'error.type': 'Error' });
    expect(spans[1]!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'boom' });
    await health.shutdown();
  });

  it('reports the status gauge (1 for the current status) and the duration histogram in seconds', async () => {
    const health = system({ defaults: { criticalThreshold: 1 } });
    const probe = new Probe();
    health.registerComponent('cache', probe.check, {}, false);
    health.registerComponent('never', new Probe().check);
    await health.checkComponentHealth('cache');
    probe.mode = 'fail';
    await health.checkComponentHealth('cache');
    const gauge = await otel.metric('production.health.status');
    expect(gauge?.descriptor).toMatchObject({ unit: '1' });
    expect(gauge?.descriptor.description).not.toBe('');
    const points = Object.fromEntries(
      gauge!.dataPoints.map((p) => [`${String(p.attributes['production.component'])}/${String(p.attributes.status)}`, p.value]),
    );
    expect(points).toMatchObject({
      'cache/critical': 1,
      'cache/healthy': 0,
      'cache/warning': 0,
      'cache/unknown': 0,
      'never/unknown': 1,
      'never/healthy': 0,
    });
    const histogram = await otel.metric('production.health.check.duration');
    expect(histogram?.descriptor).toMatchObject({ unit: 's' });
    const point = histogram!.dataPoints.find((p) => p.attributes['production.component'] === 'cache')!;
    expect((point.value as { count: number }).count).toBe(2);
    expect((point.value as { buckets: { boundaries: number[] } }).buckets.boundaries).toEqual([...DURATION_BUCKETS_SECONDS]);
    await health.shutdown();
  });

  it('logs status transitions through the injected logger', async () => {
    const logger = memoryLogger();
    const { records } = logger;
    const health = system({ defaults: { warningThreshold: 1, criticalThreshold: 2 } }, { logger });
    const probe = new Probe();
    health.registerComponent('db', probe.check);
    await health.checkComponentHealth('db');
    await health.checkComponentHealth('db');
    probe.mode = 'fail';
    await health.checkComponentHealth('db');
    await health.checkComponentHealth('db');
    probe.mode = 'ok';
    await health.checkComponentHealth('db');
    expect(records.map((r) => [r.level, r.metadata?.['production.health.to']])).toEqual([
      ['debug', 'healthy'],
      ['warn', 'warning'],
      ['error', 'critical'],
      ['info', 'healthy'],
    ]);
    expect(records[1]!).toMatchObject({
      component: 'health',
      message: 'Component db is warning (was healthy): boom',
      metadata: { 'production.component': 'db' },
    });
    await health.shutdown();
  });

  it('emits OTel log records when no logger is given', async () => {
    otelLogs.reset();
    const health = system({ defaults: { criticalThreshold: 1 } });
    const probe = new Probe();
    probe.mode = 'fail';
    health.registerComponent('queue', probe.check);
    await health.checkComponentHealth('queue');
    const record = otelLogs.getFinishedLogRecords().find((r) => r.attributes['production.component'] === 'queue');
    expect(record).toMatchObject({ severityText: 'ERROR', body: 'Component queue is critical (was unknown): boom' });
    await health.shutdown();
  });
});
