import { dateClock } from '../support/clock.js';
import {
  HealthCheckSystem,
  type HealthCheckConfigInput,
  type HealthCheckResult,
  type HealthCheckSystemOptions,
} from '../../src/health/index.js';

/** A system on the (fakeable) Date clock for both wall time and durations. */
export function system(config: HealthCheckConfigInput = {}, options: HealthCheckSystemOptions = {}): HealthCheckSystem {
  return new HealthCheckSystem(config, { clock: dateClock, ...options });
}

/** What a {@link Probe} does on its next runs. */
export type ProbeMode = 'ok' | 'warn' | 'fail' | 'critical' | 'hang' | 'slow';

/** A check whose behaviour tests switch, counting calls and how many ran at once. */
export class Probe {
  mode: ProbeMode = 'ok';
  calls = 0;
  active = 0;
  maxActive = 0;
  signals: AbortSignal[] = [];
  /** How long `slow` takes, on the timer clock. */
  slowMs = 1000;

  readonly check = async (signal: AbortSignal): Promise<HealthCheckResult | void> => {
    this.calls++;
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    this.signals.push(signal);
    try {
      switch (this.mode) {
        case 'ok':
          return { observedValue: 1, observedUnit: 'ms' };
        case 'warn':
          return { status: 'warning', output: 'degraded' };
        case 'critical':
          return { status: 'critical', output: 'said critical' };
        case 'fail':
          throw new Error('boom');
        case 'slow':
          await new Promise((resolve) => setTimeout(resolve, this.slowMs));
          return {};
        case 'hang':
          // Ignores its signal on purpose: the system must still move on.
          await new Promise(() => {});
          return {};
      }
    } finally {
      this.active--;
    }
  };
}
