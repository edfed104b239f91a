import { countsByClass } from './criticality.js';
import type { CountsByClass, RefusalByClass } from './snapshot.js';

export type { RefusalByClass } from './snapshot.js';

const round = (n: number): number => Math.round(n * 1000) / 1000;

/**
 * A refused share of all calls, taken from the lowest class first by the classes' recent arrivals: `sheddable`
 * calls are all refused before a `sheddable_plus` one is, and `critical_plus` last. The share is moved by a
 * controller (the queue-delay control, Node's signals) once per interval; admission reads it per call in O(1).
 */
export class ClassShare {
  /** The share of calls refused now, 0 to `maxRefusal`. */
  refusal = 0;
  /** Probability that a call of each class rank is refused now. */
  readonly refusalByRank = [0, 0, 0, 0];
  /** Calls refused, by rank. */
  readonly shed = [0, 0, 0, 0];
  /**
   * Per rank: true when no lower class is left to refuse first (every lower class with recent arrivals is refused
   * entirely, or none had any). A cut outside the share (a burst bound) applies to a class only then.
   */
  readonly lowerExhausted = [true, true, true, true];
  private readonly arrivals = [0, 0, 0, 0];
  private readonly rates = [0, 0, 0, 0];

  constructor(
    private readonly maxRefusal: number,
    private readonly random: () => number,
  ) {}

  /**
   * One call of class rank `rank` arrives: true when it must be refused, by the share or because the caller
   * says so (`refuse`). Counted either way: the split follows every call that arrives, refused or not.
   */
  refuses(rank: number, refuse = false): boolean {
    this.arrivals[rank]!++;
    const p = this.refusalByRank[rank]!;
    if (refuse || (p > 0 && (p >= 1 || this.random() < p))) {
      this.shed[rank]!++;
      return true;
    }
    return false;
  }

  /** Calls that arrived since the last {@link move}. */
  arrived(): number {
    let count = 0;
    for (let r = 0; r < 4; r++) count += this.arrivals[r]!;
    return count;
  }

  /** Ends an interval: moves the share by `step` (within 0 and `maxRefusal`) and spreads it over the classes. */
  move(step: number): void {
    this.refusal = Math.max(0, Math.min(this.maxRefusal, this.refusal + step));
    let total = 0;
    for (let r = 0; r < 4; r++) {
      // Arrivals smoothed over about two intervals, so one quiet interval does not swing the split.
      this.rates[r] = this.rates[r]! * 0.5 + this.arrivals[r]! * 0.5;
      this.arrivals[r] = 0;
      total += this.rates[r]!;
    }
    // No recent arrivals: split as if every class had the same traffic.
    const even = total === 0;
    let toRefuse = this.refusal * (even ? 4 : total);
    for (let r = 0; r < 4; r++) {
      const rate = even ? 1 : this.rates[r]!;
      if (this.refusal === 0) this.refusalByRank[r] = 0;
      else if (rate <= 0) this.refusalByRank[r] = toRefuse > 0 ? 1 : 0;
      else {
        this.refusalByRank[r] = Math.min(1, toRefuse / rate);
        toRefuse = Math.max(0, toRefuse - rate);
      }
    }
    let exhausted = true;
    for (let r = 0; r < 4; r++) {
      this.lowerExhausted[r] = exhausted;
      exhausted &&= this.rates[r]! === 0 || this.refusalByRank[r]! >= 1;
    }
  }

  /** The refused probabilities by class name, rounded. */
  byClass(): RefusalByClass {
    const p = this.refusalByRank.map(round);
    return { sheddable: p[0]!, sheddablePlus: p[1]!, critical: p[2]!, criticalPlus: p[3]! };
  }

  /** Calls refused, by class name. */
  shedByClass(): CountsByClass {
    return countsByClass(this.shed);
  }
}
