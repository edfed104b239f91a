/**
 * The overload component's read model: what `getOverloadStatus()`, `getSystemStatus().overload`, `/status.json`
 * and the status page show of it. Plain JSON and no code: this module imports nothing.
 */

/**
 * Criticality classes of a call, most important first (Google SRE's names). Under load the lowest class is
 * shed first.
 */
export type Criticality = 'critical_plus' | 'critical' | 'sheddable_plus' | 'sheddable';

/** Counts per class, camelCase-keyed as the status document is. */
export interface CountsByClass {
  readonly sheddable: number;
  readonly sheddablePlus: number;
  readonly critical: number;
  readonly criticalPlus: number;
}

/** Probability a call of each class is refused now. */
export interface RefusalByClass {
  readonly sheddable: number;
  readonly sheddablePlus: number;
  readonly critical: number;
  readonly criticalPlus: number;
}

/** Plain JSON state of one adaptive limit. */
export interface AdaptiveLimitSnapshot {
  /** The operation it guards, or `*` for the global limit. */
  readonly operation: string;
  readonly algorithm: string;
  readonly limit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  readonly inFlight: number;
  readonly peakInFlight: number;
  readonly waiting: number;
  /** Mean RTT of the last window, in ms (0 before the first). */
  readonly rttMs: number;
  /** Calls shed by this limit, by class. */
  readonly shed: CountsByClass;
}

/** Plain JSON state of the queue-delay control. */
export interface QueueDelaySnapshot {
  /** The queue delay it keeps calls under, in ms. */
  readonly targetMs: number;
  /** The judged queue delay of the last interval (the mean of what its calls saw), in ms. */
  readonly queueDelayMs: number;
  /** Share of all calls it refuses now, 0 to `maxRefusal`. */
  readonly refusal: number;
  /** Probability a call of each class is refused now. */
  readonly refusalByClass: RefusalByClass;
  /** Calls it refused, by class. */
  readonly shed: CountsByClass;
}

/** The last sample of Node's signals, and the share of calls they refuse. */
export interface NodeSignalsSnapshot {
  readonly eventLoopUtilization: number;
  readonly eventLoopDelayP99Ms: number;
  readonly heapUsedRatio: number;
  /** The highest class refused now (`none` while nothing is), lowest class first. */
  readonly shedding: 'none' | 'sheddable' | 'sheddable_plus' | 'critical' | 'critical_plus';
  /** Share of all calls refused on these signals now, 0 to `maxRefusal`. */
  readonly refusal: number;
  /** Probability a call of each class is refused now. */
  readonly refusalByClass: RefusalByClass;
}

/** Plain JSON state of one dependency's throttle. */
export interface ThrottleSnapshot {
  readonly dependency: string;
  /** Refusal probability now, 0 to 1. */
  readonly probability: number;
  /** Calls requested within the window (including those refused locally). */
  readonly requests: number;
  /** Calls the dependency accepted within the window. */
  readonly accepts: number;
  /** Calls refused locally since start. */
  readonly throttled: number;
  readonly k: number;
  readonly windowMs: number;
}

/** `getSystemStatus().overload`: adaptive limits, shedding by class, Node's signals, throttle probabilities. */
export interface OverloadStatus {
  readonly defaultCriticality: Criticality;
  /** Every adaptive limit (the global one as `*`). */
  readonly limits: readonly AdaptiveLimitSnapshot[];
  /** Calls refused as OVERLOADED, by class (limits, queues and signals together). */
  readonly shedByClass: CountsByClass;
  /** The queue-delay control's judgement and refused shares; null when it is off. */
  readonly queueDelay: QueueDelaySnapshot | null;
  /** The last sample of Node's signals; null when signal shedding is off. */
  readonly signals: NodeSignalsSnapshot | null;
  /** Client-side throttles per named dependency. */
  readonly throttles: readonly ThrottleSnapshot[];
}
