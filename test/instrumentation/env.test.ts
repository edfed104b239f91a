import { describe, expect, it } from 'vitest';
import { readOtelEnv } from '../../src/register/env.js';
import { needsNodeSdk } from '../../src/sdk/preload/telemetry.js';

describe('readOtelEnv', () => {
  it('applies OTEL_METRIC_EXPORT_INTERVAL and _TIMEOUT, cutting a default timeout to a shorter interval', () => {
    expect(readOtelEnv({}).metricExport).toEqual({ intervalMs: 60_000, timeoutMs: 30_000 });
    expect(readOtelEnv({ OTEL_METRIC_EXPORT_INTERVAL: '1000' }).metricExport).toEqual({ intervalMs: 1000, timeoutMs: 1000 });
    expect(readOtelEnv({ OTEL_METRIC_EXPORT_INTERVAL: '5000', OTEL_METRIC_EXPORT_TIMEOUT: '200' }).metricExport).toEqual({
      intervalMs: 5000,
      timeoutMs: 200,
    });
    expect(readOtelEnv({ OTEL_METRIC_EXPORT_TIMEOUT: '90000' }).metricExport).toEqual({ intervalMs: 60_000, timeoutMs: 60_000 });
  });

  it.each([
    [{ OTEL_METRIC_EXPORT_INTERVAL: '0' }, 'env.OTEL_METRIC_EXPORT_INTERVAL'],
    [{ OTEL_METRIC_EXPORT_TIMEOUT: 'soon' }, 'env.OTEL_METRIC_EXPORT_TIMEOUT'],
    [{ OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_METRIC_EXPORT_TIMEOUT: '2000' }, 'env.OTEL_METRIC_EXPORT_TIMEOUT'],
    [{ OTEL_NODE_RESOURCE_DETECTORS: 'env,gcp' }, 'env.OTEL_NODE_RESOURCE_DETECTORS'],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'env.OTEL_EXPORTER_OTLP_PROTOCOL'],
    [{ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json,http/protobuf' }, 'env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'],
    [{ OTEL_BLRP_MAX_QUEUE_SIZE: '-1' }, 'env.OTEL_BLRP_MAX_QUEUE_SIZE'],
  ])('refuses %j with INVALID_CONFIG at %s', (env, path) => {
    expect(() => readOtelEnv(env)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', path }));
  });

  it('resolves OTEL_NODE_RESOURCE_DETECTORS as the Node SDK does', () => {
    expect(readOtelEnv({}).resourceDetectors).toBeUndefined();
    expect(readOtelEnv({ OTEL_NODE_RESOURCE_DETECTORS: 'all' }).resourceDetectors).toEqual([
      'env',
      'host',
      'os',
      'process',
      'serviceinstance',
    ]);
    expect(readOtelEnv({ OTEL_NODE_RESOURCE_DETECTORS: 'env,none' }).resourceDetectors).toEqual([]);
    expect(readOtelEnv({ OTEL_NODE_RESOURCE_DETECTORS: 'Host, env' }).resourceDetectors).toEqual(['host', 'env']);
  });

  it('keeps the OTEL_BLRP_* values that were set, for the log processor', () => {
    expect(readOtelEnv({ OTEL_BLRP_SCHEDULE_DELAY: '100', OTEL_BLRP_MAX_QUEUE_SIZE: '10' }).batchLogs).toEqual({
      scheduledDelayMillis: 100,
      maxQueueSize: 10,
    });
  });

  it('exports over OTLP only when asked, or when an endpoint says where', () => {
    expect(readOtelEnv({})).toMatchObject({ traces: [], logs: ['console'], metrics: [] });
    expect(readOtelEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toMatchObject({
      traces: ['otlp'],
      logs: ['otlp'],
      metrics: [],
      endpoints: {
        traces: 'http://collector:4318/v1/traces',
        logs: 'http://collector:4318/v1/logs',
        metrics: 'http://collector:4318/v1/metrics',
      },
    });
    expect(
      readOtelEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'otlp,none' }),
    ).toMatchObject({ traces: [], logs: [] });
  });
});

describe('needsNodeSdk: the Node SDK builds whatever needs building, and only then', () => {
  it.each([
    [{}, false],
    [{ OTEL_METRICS_EXPORTER: 'prometheus' }, false],
    [{ OTEL_LOGS_EXPORTER: 'console' }, false],
    [{ OTEL_PROPAGATORS: 'baggage,tracecontext' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, true],
    [{ OTEL_TRACES_EXPORTER: 'console' }, true],
    [{ OTEL_METRICS_EXPORTER: 'otlp' }, true],
    [{ OTEL_METRICS_EXPORTER: 'console' }, true],
    [{ OTEL_LOGS_EXPORTER: 'otlp' }, true],
    [{ OTEL_PROPAGATORS: 'tracecontext' }, true],
    [{ OTEL_PROPAGATORS: 'b3' }, true],
  ])('%j: %s', (env, expected) => {
    expect(needsNodeSdk(readOtelEnv(env))).toBe(expected);
  });
});
