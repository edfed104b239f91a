import { createGuard, type Guard } from '../guard.js';

/**
 * An event, as cockatiel's: a function that takes a listener and returns the subscription, a {@link Guard}
 * (a `Disposable`) whose release unsubscribes. Every `onX(listener)` and `addListener` of the library has this shape.
 */
export type Event<T> = (listener: (value: T) => void) => Guard;

/**
 * The emitting side of an {@link Event}. Listeners run in subscription order; one that throws is handed to
 * `onError` and the others still run, so a listener never breaks the code that emits (a breaker transition
 * happens inside a call, a phase change inside a shutdown). Subscribing or unsubscribing while an emit runs
 * takes effect from the next emit.
 */
export class EventEmitter<T> {
  private listeners: ReadonlyArray<(value: T) => void> = [];

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Subscribes `listener`; releasing the returned guard unsubscribes it. */
  readonly subscribe: Event<T> = (listener) => {
    this.listeners = [...this.listeners, listener];
    return createGuard(() => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners = [...this.listeners.slice(0, i), ...this.listeners.slice(i + 1)];
    });
  };

  /** Listeners subscribed now. */
  get size(): number {
    return this.listeners.length;
  }

  /** Calls every listener with `value`. */
  emit(value: T): void {
    for (const listener of this.listeners) {
      try {
        listener(value);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  /** Unsubscribes every listener. */
  clear(): void {
    this.listeners = [];
  }
}
