import { EventEmitter } from 'node:events';
import type { LogLevel, OperationLogger } from '../../src/pipeline.js';
import type { ProcessEvents } from '../../src/shutdown/index.js';

/** One captured log record. */
export interface LogRecord {
  level: LogLevel;
  component: string;
  operation: string;
  message: string;
  metadata: Record<string, unknown> | undefined;
}

/** A logger that keeps what it is given. */
export function memoryLogger(): OperationLogger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  return {
    records,
    log(level, component, operation, message, metadata) {
      records.push({ level, component, operation, message, metadata });
    },
  };
}

/** A stand-in for `process` that tests can emit signals and errors on. */
export function fakeProcess(): ProcessEvents & EventEmitter {
  return new EventEmitter() as ProcessEvents & EventEmitter;
}

/** A promise and its resolve function. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
