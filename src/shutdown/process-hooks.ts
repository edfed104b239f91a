/** A listener on a process event; arguments depend on the event. */
export type ProcessListener = (...args: unknown[]) => void;

/** The part of `process` the manager listens on; tests pass an `EventEmitter` instead of the real process. */
export interface ProcessEvents {
  on(event: string, listener: ProcessListener): unknown;
  off(event: string, listener: ProcessListener): unknown;
}

/** A set of listeners added together and removed together. */
export class ProcessListeners {
  private readonly added: Array<readonly [string, ProcessListener]> = [];

  constructor(private readonly target: ProcessEvents) {}

  /** Adds `listener` for `event`. */
  add(event: string, listener: ProcessListener): void {
    this.target.on(event, listener);
    this.added.push([event, listener]);
  }

  /** Removes every listener added through this set. */
  removeAll(): void {
    for (const [event, listener] of this.added.splice(0)) this.target.off(event, listener);
  }
}

/** A readable summary of a thrown value for a log record. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    return { 'error.type': error.name, 'exception.message': error.message, 'exception.stacktrace': error.stack };
  }
  return { 'error.type': typeof error, 'exception.message': String(error) };
}
