import { context, trace } from '@opentelemetry/api';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProductionConfigInput } from '../../src/config.js';
import { createProductionSystem, type StandardProductionSystem } from '../../src/create.js';
import { withDeadline } from '../../src/deadlines/index.js';
import { DeadlineExceededError, InvalidConfigError } from '../../src/errors.js';
import type { Engine, OperationContext } from '../../src/pipeline.js';
import { installTestOtel } from '../support/otel.js';

const otel = installTestOtel();

const systems: StandardProductionSystem<Engine>[] = [];
function system(config: ProductionConfigInput = {}): StandardProductionSystem<Engine> {
  const s = createProductionSystem(
    {},
    { monitoring: { defaultAlertRules: false }, deadlines: { marginMs: 10 }, ...config },
    { env: {}, startHealthChecks: false },
  );
  systems.push(s);
  return s;
}

/** Settles `promise` into its value or error, so a fake-timer test can advance time while it runs. */
function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

const never = (ctx: OperationContext): Promise<never> =>
  new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)));

describe('deadlines in the pipeline', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    otel.spans.reset();
  });
  afterEach(() => vi.useRealTimers());
  // Shut down at the end: a system's shutdown flushes and stops the telemetry the later tests read.
  afterAll(async () => {
    await Promise.all(systems.splice(0).map((s) => s.shutdown()));
  });

  it('options.deadlineMs cuts the attempt (ctx.signal) margin before the deadline, with DEADLINE_EXCEEDED, not a breaker failure', async () => {
    const s = system({ errorRecovery: { defaults: { timeoutMs: 30_000, circuitBreaker: { failureThreshold: 1 } } } });
    const start = performance.now();
    let abortedAt = 0;
    const result = settle(
      s.executeProtectedOperation(
        'slow',
        undefined,
        (ctx) => {
          ctx.signal.addEventListener('abort', () => (abortedAt = performance.now() - start));
          return never(ctx);
        },
        { deadlineMs: 200 },
      ),
    );
    await vi.advanceTimersByTimeAsync(250);
    const outcome = await result;
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? undefined : outcome.error).toBeInstanceOf(DeadlineExceededError);
    expect(abortedAt).toBeGreaterThanOrEqual(189);
    expect(abortedAt).toBeLessThanOrEqual(191);
    // Not retried, not a breaker failure, not a timeout.
    expect(s.components.recovery.getCircuitBreakerStatus('slow')).toBe('closed');
    expect(s.components.recovery.getOperationStats('slow')).toMatchObject({ retries: 0, timeouts: 0 });
    const [span] = otel.spans.getFinishedSpans();
    expect(span?.attributes['production.deadline.remaining_ms']).toBe(200);
    expect(span?.attributes['error.type']).toBe('DEADLINE_EXCEEDED');
  });

  it('refuses a call whose deadline leaves less than the margin, before any step; the operation never runs', async () => {
    const s = system();
    let ran = false;
    const op = async (): Promise<void> => {
      ran = true;
    };
    await expect(s.executeProtectedOperation('late', undefined, op, { deadlineMs: 9 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    await expect(
      context.with(withDeadline(context.active(), performance.now() - 5), () => s.executeProtectedOperation('late', undefined, op)),
    ).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(ran).toBe(false);
    const spans = otel.spans.getFinishedSpans();
    expect(spans.map((span) => span.attributes['production.outcome'])).toEqual(['rejected', 'rejected']);
    expect(s.components.recovery.getOperationStats('late')).toMatchObject({ rejections: 2, failures: 0 });
  });

  it('rejects a deadlineMs that is not a finite non-negative number with INVALID_CONFIG naming it', async () => {
    const s = system();
    for (const bad of [-1, Number.NaN, Infinity, '100']) {
      const error = await s
        .executeProtectedOperation('op', undefined, async () => 1, { deadlineMs: bad as number })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidConfigError);
      expect((error as InvalidConfigError).path).toBe('options.deadlineMs');
    }
  });

  it('nested operations see the remaining time, and the earlier of their own and the inherited deadline', async () => {
    const s = system({ errorRecovery: { defaults: { timeoutMs: 0 } } });
    const result = settle(
      s.executeProtectedOperation(
        'outer',
        undefined,
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          return s.executeProtectedOperation('inner', undefined, never, { deadlineMs: 10_000 });
        },
        { deadlineMs: 300 },
      ),
    );
    await vi.advanceTimersByTimeAsync(400);
    expect((await result).ok).toBe(false);
    const spans = otel.spans.getFinishedSpans();
    const inner = spans.find((span) => span.name === 'inner');
    expect(inner?.attributes['production.deadline.remaining_ms']).toBe(200);
    // The inner span ends by the outer deadline minus the margin, not after its own 10 s.
    const innerEnd = inner!.endTime[0] * 1000 + inner!.endTime[1] / 1e6;
    const innerStart = inner!.startTime[0] * 1000 + inner!.startTime[1] / 1e6;
    expect(innerEnd - innerStart).toBeLessThanOrEqual(191);
  });

  it('a deadline in the active context (from a propagator) applies to calls without options', async () => {
    const s = system({ errorRecovery: { defaults: { timeoutMs: 0 } } });
    const ctx = withDeadline(
      trace.setSpanContext(context.active(), { traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: 1 }),
      performance.now() + 50,
    );
    const result = settle(context.with(ctx, () => s.executeProtectedOperation('op', undefined, never)));
    await vi.advanceTimersByTimeAsync(60);
    const outcome = await result;
    expect(outcome.ok ? undefined : outcome.error).toBeInstanceOf(DeadlineExceededError);
  });

  it.each([
    [
      'the permit wait',
      { errorRecovery: { defaults: { timeoutMs: 0 } }, resourceLimits: { maxActiveOperations: 1, permitTimeoutMs: 10_000 } },
      'holder',
    ],
    [
      'the bulkhead queue wait',
      { errorRecovery: { defaults: { timeoutMs: 0, retry: false, bulkhead: { maxConcurrent: 1, maxQueue: 5 } } } },
      'op',
    ],
  ] as const)('%s ends at the deadline', async (_wait, config: ProductionConfigInput, holderName) => {
    const s = system(config);
    const holder = settle(s.executeProtectedOperation(holderName, undefined, never, { deadlineMs: 1000 }));
    const waiter = settle(s.executeProtectedOperation('op', undefined, async () => 'ran', { deadlineMs: 100 }));
    await vi.advanceTimersByTimeAsync(101);
    const outcome = await waiter;
    expect(outcome.ok ? undefined : outcome.error).toBeInstanceOf(DeadlineExceededError);
    await vi.advanceTimersByTimeAsync(1000);
    await holder;
  });

  it('the rate-limit wait ends at the deadline', async () => {
    const s = system({
      errorRecovery: { defaults: { timeoutMs: 0 } },
      rateLimiting: { global: { algorithm: 'leaky_bucket', capacity: 5, leakPerSecond: 1, maxWaitMs: 5000 } },
    });
    const first = await s.executeProtectedOperation('op', undefined, async () => 1);
    expect(first).toBe(1);
    const second = settle(s.executeProtectedOperation('op', undefined, async () => 2, { deadlineMs: 100 }));
    await vi.advanceTimersByTimeAsync(101);
    const outcome = await second;
    expect(outcome.ok ? undefined : outcome.error).toBeInstanceOf(DeadlineExceededError);
    await vi.advanceTimersByTimeAsync(2000);
  });
});
