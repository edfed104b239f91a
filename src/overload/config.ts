import { z } from 'zod';
import { operationNameSchema } from '../recovery/names.js';
import { CRITICALITIES } from './criticality.js';
import type { Criticality } from '../errors.js';

/** Schema of a criticality class name. */
export const criticalitySchema = z.enum(CRITICALITIES as [Criticality, ...Criticality[]]);

/** Schema of {@link AdaptiveConcurrencyConfig}. */
export const adaptiveConcurrencySchema = z
  .strictObject({
    /** `gradient2` learns the limit from the RTT alone; `aimd` needs `aimd.latencyThresholdMs`. */
    algorithm: z.enum(['gradient2', 'aimd']).default('gradient2'),
    /** Limit to start from. */
    initialLimit: z.number().int().min(1).max(1_000_000).default(20),
    /** The limit never goes below this. */
    minLimit: z.number().int().min(1).max(1_000_000).default(1),
    /** The limit never goes above this. */
    maxLimit: z.number().int().min(1).max(1_000_000).default(1000),
    /** Finished calls per limit update (one window); their mean RTT is the window's sample. */
    windowSamples: z.number().int().min(1).max(10_000).default(10),
    gradient2: z
      .strictObject({
        smoothing: z.number().gt(0).max(1).default(0.2),
        rttTolerance: z.number().min(1).max(10).default(1.1),
        longWindow: z.number().int().min(2).max(100_000).default(60),
        /** Headroom added to each estimate so the limit probes upwards. */
        headroom: z.number().min(0).max(10_000).default(2),
        /** Windows between baseline probes (a quarter of the limit for two windows); 0 probes only at the start. */
        probeInterval: z.number().int().min(0).max(10_000_000).default(1000),
      })
      .prefault({}),
    aimd: z
      .strictObject({
        backoffRatio: z.number().min(0.5).lt(1).default(0.9),
        latencyThresholdMs: z.number().positive().max(3_600_000).default(1000),
      })
      .prefault({}),
    /** Callers that may wait for a slot at once (0: refuse at once when at the limit). */
    queueSize: z.number().int().min(0).max(1_000_000).default(64),
    /**
     * Longest wait for a slot. Short by default: a wait adds to the latency the limit is there to keep down (50 ms
     * put the p99 of admitted calls at 3x load past twice the unloaded p99; 10 ms keeps it near 1.8x).
     */
    maxWaitMs: z.number().int().min(0).max(3_600_000).default(10),
    /** Which waiter of a class goes first: the newest (`lifo`, the default: under sustained overload the served calls have waited least, the old ones time out) or the oldest (`fifo`). */
    queueOrder: z.enum(['fifo', 'lifo']).default('lifo'),
    /**
     * Share of the limit each sheddable class may fill: `sheddable` calls are refused once 75 % of the limit is
     * in flight, keeping the rest for more important calls. `critical` and `critical_plus` may use all of it.
     */
    shares: z
      .strictObject({
        sheddable: z.number().gt(0).max(1).default(0.75),
        sheddable_plus: z.number().gt(0).max(1).default(0.9),
      })
      .prefault({}),
  })
  .refine((c) => c.minLimit <= c.initialLimit && c.initialLimit <= c.maxLimit, {
    message: 'expected minLimit <= initialLimit <= maxLimit',
    path: ['initialLimit'],
  });

/** Adaptive concurrency limit settings, defaults filled in. */
export type AdaptiveConcurrencyConfig = z.output<typeof adaptiveConcurrencySchema>;

/** Adaptive concurrency limit settings as callers write them. */
export type AdaptiveConcurrencyConfigInput = z.input<typeof adaptiveConcurrencySchema>;

/**
 * Schema of {@link NodeSignalsConfig}: thresholds of Node's own load signals (null turns one off), over which a
 * share of calls is refused that follows the excess, lowest class first.
 */
export const nodeSignalsSchema = z.strictObject({
  /** Event-loop utilisation (0 to 1) over the last sample interval. */
  eventLoopUtilization: z.number().gt(0).max(1).nullable().default(0.95),
  /** Event-loop delay p99 over the last sample interval, in ms. */
  eventLoopDelayP99Ms: z.number().positive().max(3_600_000).nullable().default(200),
  /** Heap in use as a share of the heap's limit (`v8.getHeapStatistics().heap_size_limit`). */
  heapUsedRatio: z.number().gt(0).max(1).nullable().default(0.9),
  /**
   * A signal this many times over its threshold moves the refused share by the full `gain` per sample; at its
   * threshold the share holds, under it the share falls.
   */
  severeFactor: z.number().min(1).max(100).default(1.25),
  /** Largest move of the refused share per sample. */
  gain: z.number().gt(0).max(1).default(0.1),
  /** The refused share never goes above this (some calls always run, so the signals can fall). */
  maxRefusal: z.number().gt(0).max(1).default(0.99),
  /** How often the signals are sampled. */
  sampleIntervalMs: z.number().int().min(50).max(60_000).default(500),
});

/** Node signal thresholds, defaults filled in. */
export type NodeSignalsConfig = z.output<typeof nodeSignalsSchema>;

/**
 * Schema of {@link QueueDelayConfig}: proportional shedding on the event loop's queue delay (the time a call
 * waited before it ran), for every call under overload control.
 */
export const queueDelaySchema = z.strictObject({
  /**
   * Queue delay to keep calls under, in ms. A served request waits about one loop turn per await that yields,
   * so a 250 ms latency budget for a handler with three such awaits leaves room for a few tens of ms per turn.
   */
  targetMs: z.number().positive().max(60_000).default(25),
  /** How often the delay is judged and the refused share moved (CoDel's interval). */
  intervalMs: z.number().int().min(10).max(60_000).default(100),
  /** Share moved per interval per unit of relative excess ((delay - target) / target, within -1 and 1). */
  gain: z.number().gt(0).max(1).default(0.05),
  /**
   * A call that meets a queue delay over this is refused whatever the share (for `critical` calls; `sheddable`
   * at half of it, `sheddable_plus` at three quarters, `critical_plus` at twice), while some share is refused
   * and once every lower class with recent arrivals is refused entirely (a lower class is refused first). The
   * share follows a standing queue from one interval to the next; this bound cuts a burst that arrives within
   * one loop turn (clients whose timers fire together) where its queue would pass the latency budget, which no
   * per-interval share can.
   */
  burstMs: z.number().positive().max(60_000).default(50),
  /** The refused share never goes above this (some calls always run, so the delay is always measured). */
  maxRefusal: z.number().gt(0).max(1).default(0.99),
  /** Period of the loop-lag probe timer, in ms. */
  probeMs: z.number().int().min(1).max(1000).default(5),
});

/** Queue-delay control settings, defaults filled in. */
export type QueueDelayConfig = z.output<typeof queueDelaySchema>;

/** Schema of one operation's overload settings. */
export const operationOverloadSchema = z.strictObject({
  /** The operation's own adaptive limit (false: none, only the global one applies). */
  concurrency: z.union([z.literal(false), adaptiveConcurrencySchema]).optional(),
  /** Class of the operation's calls that name none. */
  criticality: criticalitySchema.optional(),
});

/** One operation's overload settings as callers write them. */
export type OperationOverloadInput = z.input<typeof operationOverloadSchema>;

/** Schema of the `overload` section. */
export const overloadConfigSchema = z.strictObject({
  /** One adaptive limit over every call (`*`); false for none. */
  concurrency: z.union([z.literal(false), adaptiveConcurrencySchema]).default(false),
  /** Per-operation adaptive limits and default classes. */
  operations: z.record(operationNameSchema, operationOverloadSchema).default({}),
  /** Class of calls that name none (no option, no operation default, no baggage). */
  defaultCriticality: criticalitySchema.default('critical'),
  /**
   * Refuse a share of every call that follows the event loop's queue delay over its target, lowest class first
   * (`PRODUCTION_OVERLOAD=on` turns it on with its defaults); false (the default) measures nothing.
   */
  queueDelay: z.union([z.literal(false), queueDelaySchema]).default(false),
  /** Shed sheddable calls on Node's own signals; false (the default) samples nothing. */
  signals: z.union([z.literal(false), nodeSignalsSchema]).default(false),
  /** Cap on operations with a limiter of their own. */
  maxOperations: z.number().int().min(1).max(100_000).default(1000),
});

/** The `overload` section, defaults filled in. */
export type OverloadConfig = z.output<typeof overloadConfigSchema>;

/** The `overload` section as callers write it. */
export type OverloadConfigInput = z.input<typeof overloadConfigSchema>;
