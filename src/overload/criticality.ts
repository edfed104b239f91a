import { propagation, type Context } from '@opentelemetry/api';
import { codeTraitsOf, type Criticality } from '../errors.js';

import type { CountsByClass } from './snapshot.js';

export type { Criticality } from '../errors.js';
export type { CountsByClass } from './snapshot.js';

/** The four classes, lowest first: a class's index is its rank. */
export const CRITICALITIES: readonly Criticality[] = ['sheddable', 'sheddable_plus', 'critical', 'critical_plus'];

/** Class of a call that names none (Google's default): shed only after every sheddable call. */
export const DEFAULT_CRITICALITY: Criticality = 'critical';

/** W3C baggage key that carries the criticality between services. */
export const CRITICALITY_BAGGAGE_KEY = 'criticality';

const RANK: Readonly<Record<Criticality, number>> = { sheddable: 0, sheddable_plus: 1, critical: 2, critical_plus: 3 };

/** Rank of a class: 0 for `sheddable` to 3 for `critical_plus`. */
export function criticalityRank(criticality: Criticality): number {
  return RANK[criticality];
}

/** True for one of the four class names (exactly, lower case). */
export function isCriticality(value: unknown): value is Criticality {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(RANK, value);
}

/**
 * The class carried by the incoming W3C baggage entry `criticality`, or undefined when there is none or it is
 * not exactly one of the four names (a value from outside is never trusted further than that).
 */
export function criticalityFromBaggage(ctx: Context): Criticality | undefined {
  const value = propagation.getBaggage(ctx)?.getEntry(CRITICALITY_BAGGAGE_KEY)?.value;
  return isCriticality(value) ? value : undefined;
}

/** Returns `ctx` with `criticality` set in its W3C baggage (keeping the other entries), so the next service sheds in the same order. */
export function withCriticalityBaggage(ctx: Context, criticality: Criticality): Context {
  const baggage = propagation.getBaggage(ctx) ?? propagation.createBaggage();
  return propagation.setBaggage(ctx, baggage.setEntry(CRITICALITY_BAGGAGE_KEY, { value: criticality }));
}

/**
 * `ctx` with `chosen` (the class a call or its operation chose) in its baggage, unless it is already the
 * incoming baggage's (`parent`'s) or is none: the outgoing requests carry it, so the next service sheds in the
 * same order. A default class is not written: the next service applies its own.
 */
export function carryCriticality(ctx: Context, parent: Context, chosen: unknown): Context {
  return isCriticality(chosen) && chosen !== criticalityFromBaggage(parent) ? withCriticalityBaggage(ctx, chosen) : ctx;
}

/** Counts by class rank (0 `sheddable` to 3 `critical_plus`) as a {@link CountsByClass}. */
export function countsByClass(counts: readonly number[]): CountsByClass {
  return { sheddable: counts[0] ?? 0, sheddablePlus: counts[1] ?? 0, critical: counts[2] ?? 0, criticalPlus: counts[3] ?? 0 };
}

/**
 * An overload refusal from further down (a nested call or a dependency's typed error), which should shrink the
 * limit: the codes `ERROR_CODES` marks `overloadSignal`.
 */
export function isOverloadRefusal(error: unknown): boolean {
  return codeTraitsOf(error)?.overloadSignal === true;
}
