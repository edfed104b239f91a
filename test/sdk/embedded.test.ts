import { context, propagation, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { describe, expect, it } from 'vitest';
import { ProductionMonitor } from '../../src/monitoring/index.js';
import { telemetryHub } from '../../src/monitoring/hub.js';
import { ensureEmbeddedTelemetry, productionReader } from '../../src/sdk/index.js';
import { getMeter } from '../../src/telemetry/api.js';

describe('ensureEmbeddedTelemetry with no SDK registered', () => {
  it('registers every provider, shares one setup between leases, and tears down on the last release', async () => {
    const first = ensureEmbeddedTelemetry({ serviceName: 'embedded-test' });
    expect(first.registered).toEqual({
      meterProvider: true,
      tracerProvider: true,
      loggerProvider: true,
      contextManager: true,
      propagator: true,
    });
    expect(first.reader).toBe(productionReader());
    expect(telemetryHub.source()).toBe(first.reader);

    // Context propagation works: W3C trace context round-trips through the registered propagator.
    const span = trace.getTracer('t').startSpan('s');
    const carrier: Record<string, string> = {};
    context.with(trace.setSpan(context.active(), span), () => propagation.inject(context.active(), carrier));
    expect(carrier.traceparent).toContain(span.spanContext().traceId);
    span.end();

    const second = ensureEmbeddedTelemetry({ serviceName: 'ignored' });
    expect(second.meterProvider).toBe(first.meterProvider);

    // Another component's observable instrument, on the global meter, is seen by our reader.
    const monitor = new ProductionMonitor({ defaultAlertRules: false, runtimeMetrics: false });
    const gauge = getMeter().createObservableGauge('test.component.queue', { description: 'Queue of another component' });
    gauge.addCallback((r) => r.observe(7, { component: 'other' }));
    const text = await monitor.exportPrometheusMetrics();
    expect(text).toMatch(/^test_component_queue\{component="other",[^}]*\} 7$/m);
    expect(text).toContain('service_name="embedded-test"');

    await first.shutdown();
    await first.shutdown(); // idempotent: one lease is released once
    expect(telemetryHub.source()).toBeDefined();
    await second.shutdown();
    expect(telemetryHub.source()).toBeUndefined();
    await expect(monitor.exportPrometheusMetrics()).rejects.toMatchObject({ code: 'INVALID_CONFIG', path: 'telemetry.metricReaders' });
    await monitor.shutdown();

    // The globals were unregistered, so a new setup can register again, with a fresh reader.
    const again = ensureEmbeddedTelemetry();
    expect(again.registered.meterProvider).toBe(true);
    expect(again.reader).not.toBe(first.reader);
    expect(logs.getLoggerProvider()).toBeDefined();
    await again.shutdown();
  });
});
