import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, MetricReader, PeriodicExportingMetricReader, InMemoryMetricExporter } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { createProductionSystem } from '../../src/index.js';
import { ensureEmbeddedTelemetry, markCellsCarrier, withMetricCells } from '../../src/sdk/index.js';
import { metricCells, operationDurationCells } from '../../src/telemetry/metric-cells.js';

class ForeignReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

type System = ReturnType<typeof createProductionSystem>;

async function protectedCalls(system: System, n: number, fail = false): Promise<void> {
  for (let i = 0; i < n; i++) {
    await system
      .executeProtectedOperation('cells_op', undefined, async () => {
        if (fail) throw new TypeError('boom');
        return i;
      })
      .catch(() => undefined);
  }
}

describe('when the pipeline records into pre-bound cells', () => {
  it('a reader without our producer keeps every point: the cells stay off and the API records', async () => {
    const foreign = new ForeignReader();
    const telemetry = ensureEmbeddedTelemetry({ serviceName: 'cells-foreign', metricReaders: [foreign] });
    await settle();
    expect(metricCells().active).toBe(false);
    const system = createProductionSystem({}, { healthChecks: { enabled: false } });
    await protectedCalls(system, 3);
    const { resourceMetrics } = await foreign.collect();
    const duration = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === 'production.operation.duration');
    expect(duration?.dataPoints).toMatchObject([{ value: { count: 3 } }]);
    await system.shutdown();
    await telemetry.shutdown();
    expect(metrics.getMeterProvider()).not.toBe(telemetry.meterProvider);
  });

  it('with only our readers (one of them an OTLP-like periodic reader made withMetricCells) both export the cells', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const periodic = markCellsCarrier(new PeriodicExportingMetricReader(withMetricCells({ exporter, exportIntervalMillis: 3_600_000 })));
    const telemetry = ensureEmbeddedTelemetry({ serviceName: 'cells-ours', metricReaders: [periodic] });
    await settle();
    expect(metricCells().active).toBe(true);
    const system = createProductionSystem({}, { healthChecks: { enabled: false } });
    await protectedCalls(system, 4);
    await protectedCalls(system, 1, true);
    const success = operationDurationCells().cell({ 'production.operation.name': 'cells_op', 'production.outcome': 'success' });
    expect(success.count).toBe(4);

    const text = await telemetry.reader!.getMetricsText();
    expect(text).toMatch(
      /^production_operation_duration_count\{production_operation_name="cells_op",production_outcome="success",otel_scope_name="@llmkg\/production",otel_scope_version="[^"]+"\} 4$/m,
    );
    expect(text).toMatch(
      /^production_operation_duration_count\{production_operation_name="cells_op",production_outcome="error",error_type="TypeError",[^}]*\} 1$/m,
    );
    // One family, once: the SDK's own (empty) instrument of the same name does not show up beside it.
    expect(text.match(/^# TYPE production_operation_duration histogram$/gm)).toHaveLength(1);

    await periodic.forceFlush();
    const exported = exporter.getMetrics().at(-1)!;
    const names = exported.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name));
    expect(names).toContain('production.operation.duration');
    await system.shutdown();
    await telemetry.shutdown();
    expect(metricCells().active).toBe(false);
  });
});
