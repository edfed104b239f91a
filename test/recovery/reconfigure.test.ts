import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { TimeoutError } from '../../src/errors.js';
import { ErrorRecoveryManager } from '../../src/recovery/index.js';
import { dateClock } from '../support/clock.js';
import { manager } from './helpers.js';

const hang = (): Promise<never> => new Promise(() => undefined);

describe('reconfiguring an operation while its calls are in flight', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('a call in flight under the old settings keeps its timeout after configureOperation', async () => {
    const m = manager({ retry: false, circuitBreaker: false, timeoutMs: 100 });
    const old = m.executeWithRecovery('op', hang);
    old.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(10);
    m.configureOperation('op', { timeoutMs: 5000 });
    // A call under the new settings runs on a new timeout stage; the old call still ends at its 100 ms.
    const fresh = m.executeWithRecovery('op', hang);
    fresh.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(90);
    await expect(old).rejects.toMatchObject({ code: 'TIMEOUT', timeoutMs: 100 });
    await vi.advanceTimersByTimeAsync(4910);
    await expect(fresh).rejects.toBeInstanceOf(TimeoutError);
    m.shutdown();
  });

  it('a call in flight keeps its timeout across a configuration reload (reconfigure)', async () => {
    const m = manager({ retry: false, circuitBreaker: false, timeoutMs: 100 });
    const old = m.executeWithRecovery('op', hang);
    old.catch(() => undefined);
    m.reconfigure({ ...m.getOperationConfig('op'), timeoutMs: 300 }, new Map(), {});
    await vi.advanceTimersByTimeAsync(100);
    await expect(old).rejects.toMatchObject({ code: 'TIMEOUT', timeoutMs: 100 });
    m.shutdown();
  });

  it("reconfiguring an operation that uses its dependency's breaker keeps that breaker's state", async () => {
    const config = resolveConfig(
      {
        errorRecovery: { defaults: { retry: false, timeoutMs: 0, dependency: 'payments' } },
        dependencies: { payments: { circuitBreaker: { failureThreshold: 1, recoveryTimeoutMs: 60_000 } } },
      },
      {},
    );
    const m = new ErrorRecoveryManager(config.errorRecovery, { clock: dateClock, dependencies: config.dependencies });
    await expect(m.executeWithRecovery('charge', () => Promise.reject(new Error('payments down')))).rejects.toThrow('payments down');
    expect(m.getCircuitBreakerStatus('charge')).toBe('open');
    // A setting outside the breaker changes: the dependency's breaker (the one in force) is the same, so it stays open.
    m.configureOperation('charge', { timeoutMs: 2000 });
    await expect(m.executeWithRecovery('charge', () => Promise.resolve('sent'))).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    expect(m.getCircuitBreakerStatus('charge')).toBe('open');
    m.shutdown();
  });
});
