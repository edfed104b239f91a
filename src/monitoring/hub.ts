import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidConfigError } from '../errors.js';
import { createGuard, type Guard } from '../guard.js';
import type { MetricSnapshot } from './snapshot.js';

/**
 * What our metric readers (`@llmkg/production/sdk`) offer once a MeterProvider has bound them. The monitor
 * reaches the readers only through this, so `src/monitoring/` needs no SDK package.
 */
export interface MetricsSource {
  /** Collects now and returns a plain snapshot. */
  collectSnapshot(): Promise<MetricSnapshot>;
  /** Collects now and returns the text format 0.0.4, what `GET /metrics` serves a scraper not asking for OpenMetrics. */
  prometheusText(): Promise<string>;
  /** Answers a `GET /metrics` request with the negotiated exposition (the admin server calls this). */
  handleMetricsRequest(request: IncomingMessage, response: ServerResponse): void;
}

/** Receives the snapshot of every scheduled collection of the alert reader. */
export interface SnapshotSubscriber {
  /** How often this subscriber wants a snapshot; the reader collects at the smallest requested interval. */
  readonly intervalMs: number;
  /** Called after each scheduled collection; must not throw (errors are caught and counted by the reader). */
  onSnapshot(snapshot: MetricSnapshot): void;
}

interface HubState {
  source: MetricsSource | undefined;
  readonly subscribers: Set<SnapshotSubscriber>;
  readonly listeners: Set<() => void>;
}

// On globalThis so the ESM and CJS builds, and the main and `/sdk` entries, share one hub.
const HUB_KEY = Symbol.for('@llmkg/production.telemetry-hub');

function state(): HubState {
  const holder = globalThis as unknown as Record<symbol, HubState | undefined>;
  let hub = holder[HUB_KEY];
  if (hub === undefined) {
    hub = { source: undefined, subscribers: new Set(), listeners: new Set() };
    holder[HUB_KEY] = hub;
  }
  return hub;
}

function changed(hub: HubState): void {
  for (const listener of hub.listeners) listener();
}

/** Where the process's metric readers and their consumers meet. */
export const telemetryHub = {
  /** Registers the readers' source; the guard unregisters it (only if it is still the current one). */
  setSource(source: MetricsSource): Guard {
    const hub = state();
    hub.source = source;
    changed(hub);
    return createGuard(() => {
      if (hub.source === source) {
        hub.source = undefined;
        changed(hub);
      }
    });
  },

  /** The registered source, if any. */
  source(): MetricsSource | undefined {
    return state().source;
  },

  /** The registered source, or a clear INVALID_CONFIG error saying how to attach our readers. */
  requireSource(): MetricsSource {
    const source = state().source;
    if (source === undefined) throw missingReadersError();
    return source;
  },

  /** Adds a snapshot subscriber until the guard is released. */
  subscribe(subscriber: SnapshotSubscriber): Guard {
    const hub = state();
    hub.subscribers.add(subscriber);
    changed(hub);
    return createGuard(() => {
      if (hub.subscribers.delete(subscriber)) changed(hub);
    });
  },

  /** The current subscribers. */
  subscribers(): ReadonlySet<SnapshotSubscriber> {
    return state().subscribers;
  },

  /** Calls `listener` whenever the source or the subscribers change, until the guard is released. */
  onChange(listener: () => void): Guard {
    const hub = state();
    hub.listeners.add(listener);
    return createGuard(() => hub.listeners.delete(listener));
  },
};

/** The error raised when metrics are asked for but no MeterProvider has our readers. */
export function missingReadersError(): InvalidConfigError {
  return new InvalidConfigError(
    'telemetry.metricReaders',
    'no @llmkg/production metric readers are attached to the registered MeterProvider. ' +
      'If the application runs its own OpenTelemetry SDK, add them: ' +
      "`import { productionSdkConfig } from '@llmkg/production/sdk'; new NodeSDK({ ...productionSdkConfig(), ... })` " +
      '(or `metricReaders: productionMetricReaders()` and `views: productionViews()`). ' +
      'Without an SDK, call `ensureEmbeddedTelemetry()` from @llmkg/production/sdk (createProductionSystem does) ' +
      'before creating the monitor.',
  );
}
