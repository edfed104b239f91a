import { trace } from '@opentelemetry/api';
import type { RecoveryListener } from '../../src/pipeline.js';
import { ErrorRecoveryManager, errorRecoveryConfigSchema } from '../../src/recovery/index.js';
import type { CallState } from '../../src/pipeline.js';
import { dateClock } from '../support/clock.js';

/** A manager on a Date clock (fake timers move it), with the given defaults. */
export function manager(defaults: Record<string, unknown> = {}, listener?: RecoveryListener): ErrorRecoveryManager {
  const config = errorRecoveryConfigSchema.parse({ defaults });
  return new ErrorRecoveryManager(config, { clock: dateClock, ...(listener ? { listener } : {}) });
}

/** A fresh call state, as the system makes per call. */
export function call(name: string, signal?: AbortSignal, abandonSignal?: AbortSignal, deadline?: number): CallState {
  return {
    operationName: name,
    userId: 'u1',
    correlationId: 'c1',
    span: trace.wrapSpanContext({ traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: 1 }),
    callerSignal: signal,
    abandonSignal,
    deadline,
    deadlineSignal: undefined,
    attempts: 0,
  };
}

/** Settles the microtask queue a few times (no timers). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
