import type { BatchObservableResult } from '@opentelemetry/api';
import { getMeter } from '../telemetry/api.js';
import { ATTR, METRIC } from '../telemetry/names.js';
import { BREAKER_STATES } from '../recovery/breaker.js';
import type { SharedBreakerStatus } from './breaker.js';

/**
 * Registers the `production.circuit_breaker.shared.*` instruments, read at collection time from `status`
 * (the hot path touches none of them). Returns the function that removes the callback.
 */
export function observeSharedBreakers(status: () => readonly SharedBreakerStatus[]): () => void {
  const meter = getMeter();
  const state = meter.createObservableGauge(METRIC.sharedBreakerState, {
    description: 'Shared circuit breaker state as this replica last read it from the store: 1 for the current state, 0 for the others',
    unit: '1',
  });
  const connected = meter.createObservableGauge(METRIC.sharedBreakerConnected, {
    description:
      'Shared circuit breaker: 1 while this replica follows the shared state, 0 while the store is away and its local breaker decides',
    unit: '1',
  });
  const replicas = meter.createObservableGauge(METRIC.sharedBreakerReplicas, {
    description: 'Replicas that published to the shared circuit breaker recently, as last read',
    unit: '{replica}',
  });
  const lease = meter.createObservableGauge(METRIC.sharedBreakerLeaseHeld, {
    description: 'Shared circuit breaker: 1 while this replica holds the half-open trial lease',
    unit: '1',
  });
  const publishes = meter.createObservableCounter(METRIC.sharedBreakerPublishes, {
    description: 'Publish rounds of a shared circuit breaker (one store call each), by outcome',
    unit: '{round}',
  });
  const callback = (result: BatchObservableResult): void => {
    for (const s of status()) {
      const op = { [ATTR.operationName]: s.operation };
      for (const candidate of BREAKER_STATES) {
        result.observe(state, candidate === s.sharedState ? 1 : 0, { ...op, [ATTR.state]: candidate });
      }
      result.observe(connected, s.mode === 'shared' ? 1 : 0, op);
      result.observe(replicas, s.replicas, op);
      result.observe(lease, s.holdsLease ? 1 : 0, op);
      result.observe(publishes, s.publishes, { ...op, [ATTR.outcome]: 'ok' });
      result.observe(publishes, s.publishFailures, { ...op, [ATTR.outcome]: 'failed' });
    }
  };
  const observables = [state, connected, replicas, lease, publishes];
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}
