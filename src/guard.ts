/**
 * A held resource (permit, connection, active-request slot) released by `using`, `Symbol.dispose` or
 * `release()`. Releasing twice is harmless.
 */
export interface Guard extends Disposable {
  /** Gives the resource back; later calls do nothing. */
  release(): void;
  /** True once released. */
  readonly released: boolean;
}

class OnceGuard implements Guard {
  private onRelease: (() => void) | undefined;
  constructor(onRelease: () => void) {
    this.onRelease = onRelease;
  }
  get released(): boolean {
    return this.onRelease === undefined;
  }
  release(): void {
    const fn = this.onRelease;
    if (fn === undefined) return;
    this.onRelease = undefined;
    fn();
  }
  [Symbol.dispose](): void {
    this.release();
  }
}

/** Wraps `onRelease` in a guard that runs it at most once. */
export function createGuard(onRelease: () => void): Guard {
  return new OnceGuard(onRelease);
}
