import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// An awaited backoff or timeout is work the caller is waiting for: it must keep the process alive, or a
// script ends with an unsettled top-level await (exit code 13) in the middle of a retry.
const script = `
import { ErrorRecoveryManager, errorRecoveryConfigSchema } from '@llmkg/production/recovery';
const m = new ErrorRecoveryManager(errorRecoveryConfigSchema.parse({ defaults: { circuitBreaker: false, timeoutMs: 150, retry: { maxRetries: 1, baseDelayMs: 200, jitterFactor: 0 } } }));
const call = () => ({ operationName: 'op', userId: undefined, correlationId: 'c', span: undefined, callerSignal: undefined, abandonSignal: undefined, attempts: 0 });
let attempts = 0;
const retried = await m.policyFor('op').execute(async () => { if (++attempts === 1) throw new Error('first'); return 'retried'; }, call(), true);
const timedOut = await m.policyFor('op').execute(() => new Promise(() => {}), call(), false).catch((e) => e.code);
console.log(retried, timedOut);
`;

describe('timers a caller awaits', () => {
  it('keep the process alive through a retry backoff and a timeout, then let it exit', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: process.cwd(),
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(out.trim()).toBe('retried TIMEOUT');
  });
});
