import type { Attributes, ObservableCallback, ObservableGauge } from '@opentelemetry/api';
import { getMeter } from '../telemetry/api.js';
import { ATTR, METRIC } from '../telemetry/names.js';
import { SHUTDOWN_PHASES, type ShutdownPhase } from './phases.js';

/** Attribute keys of the shutdown's own spans. */
export const SHUTDOWN_ATTR = {
  reason: 'production.shutdown.reason',
  forced: 'production.shutdown.forced',
  outcome: 'production.shutdown.outcome',
  requestsDrained: 'production.shutdown.requests_drained',
  requestsAbandoned: 'production.shutdown.requests_abandoned',
  handler: 'production.shutdown.handler',
  step: 'production.shutdown.step',
} as const;

/** Name of the span covering a whole shutdown; each phase is a child span `shutdown.<phase>`. */
export const SHUTDOWN_SPAN_NAME = 'shutdown';

/**
 * The `production.shutdown.phase` gauge: 1 for the current phase and 0 for the others, so a query on
 * `== 1` finds the phase and the series never disappear mid-shutdown.
 */
export class ShutdownPhaseGauge {
  private readonly gauge: ObservableGauge;
  private readonly attrs: ReadonlyArray<readonly [ShutdownPhase, Attributes]>;
  private readonly callback: ObservableCallback;

  constructor(currentPhase: () => ShutdownPhase) {
    const meter = getMeter();
    this.gauge = meter.createObservableGauge(METRIC.shutdownPhase, {
      description: 'Graceful shutdown phase: 1 for the current phase, 0 for the others.',
      unit: '1',
    });
    this.attrs = SHUTDOWN_PHASES.map((phase) => [phase, { [ATTR.phase]: phase }] as const);
    this.callback = (result) => {
      const current = currentPhase();
      for (const [phase, attrs] of this.attrs) result.observe(phase === current ? 1 : 0, attrs);
    };
    this.gauge.addCallback(this.callback);
  }

  /** Stops reporting (the meter keeps no reference to the manager afterwards). */
  dispose(): void {
    this.gauge.removeCallback(this.callback);
  }
}
