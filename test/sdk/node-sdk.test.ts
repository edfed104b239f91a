import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { ProductionMonitor } from '../../src/monitoring/index.js';
import { ensureEmbeddedTelemetry, productionSdkConfig } from '../../src/sdk/index.js';
import { getMeter } from '../../src/telemetry/api.js';

describe('an application NodeSDK with productionSdkConfig()', () => {
  it('serves Prometheus text and snapshots from the application SDK', async () => {
    const sdk = new NodeSDK({
      ...productionSdkConfig({ cardinalityLimit: 500 }),
      traceExporter: new InMemorySpanExporter(),
      logRecordProcessors: [],
      serviceName: 'app-with-sdk',
    });
    sdk.start();
    try {
      const telemetry = ensureEmbeddedTelemetry();
      expect(telemetry.registered).toMatchObject({ meterProvider: false, tracerProvider: false, contextManager: false, propagator: false });
      const monitor = new ProductionMonitor({ defaultAlertRules: false, runtimeMetrics: false });
      getMeter().createCounter('test.app.calls', { description: 'Calls' }).add(3, { route: '/x' });
      const text = await monitor.exportPrometheusMetrics();
      expect(text).toMatch(/^test_app_calls_total\{route="\/x",[^}]*\} 3$/m);
      expect(text).toContain('service_name="app-with-sdk"');
      expect((await monitor.getMetrics())['test.app.calls']).toMatchObject([{ value: 3 }]);
      await monitor.shutdown();
      await telemetry.shutdown();
    } finally {
      await sdk.shutdown();
    }
  });
});
