import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metrics, trace } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { ProductionMonitor } from '../../src/monitoring/index.js';
import { ensureEmbeddedTelemetry } from '../../src/sdk/index.js';

class AppReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

describe('an application with its own SDK but without our reader', () => {
  it('keeps the application providers and explains how to add our reader', async () => {
    const appMeterProvider = new MeterProvider({ readers: [new AppReader()] });
    metrics.setGlobalMeterProvider(appMeterProvider);
    trace.setGlobalTracerProvider(new BasicTracerProvider());
    const telemetry = ensureEmbeddedTelemetry();
    expect(telemetry.registered).toMatchObject({ meterProvider: false, tracerProvider: false, loggerProvider: true });
    expect(telemetry.reader).toBeUndefined();

    const monitor = new ProductionMonitor({ defaultAlertRules: false, runtimeMetrics: false });
    const error = await monitor.exportPrometheusMetrics().then(
      () => undefined,
      (e: unknown) => e as Error & { code: string; path: string },
    );
    expect(error).toMatchObject({ code: 'INVALID_CONFIG', path: 'telemetry.metricReaders' });
    expect(error!.message).toContain('productionSdkConfig()');
    expect(error!.message).toContain('metricReaders: productionMetricReaders()');
    await expect(monitor.getMetrics()).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    expect(monitor.healthCheck()).toMatchObject({ status: 'warning', metricReaders: 'missing' });

    const server = createServer((req, res) => monitor.handleMetricsRequest(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
    expect(response.status).toBe(503);
    expect(await response.text()).toContain('productionSdkConfig()');
    await new Promise((r) => server.close(r));

    await monitor.shutdown();
    await telemetry.shutdown();
    await appMeterProvider.shutdown();
  });
});
