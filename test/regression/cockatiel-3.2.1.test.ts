import { createRequire } from 'node:module';
import {
  type BulkheadPolicy,
  BulkheadRejectedError as CockatielBulkheadRejected,
  CircuitState,
  ConsecutiveBreaker,
  ConstantBackoff,
  IsolatedCircuitError,
  SamplingBreaker,
  TaskCancelledError,
  TimeoutStrategy,
  bulkhead,
  circuitBreaker,
  handleAll,
  handleWhen,
  isIsolatedCircuitError,
  isTaskCancelledError,
  retry,
  timeout,
} from 'cockatiel';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AbortedError, CircuitOpenError, TimeoutError } from '../../src/errors.js';
import { CircuitBreaker } from '../../src/recovery/breaker.js';
import { circuitBreakerConfigSchema } from '../../src/recovery/index.js';
import { isOperationFailure } from '../../src/recovery/operation.js';
import { call, flush, manager } from '../recovery/helpers.js';

// The defects of cockatiel 3.2.1 that src/recovery/ works around, one case each. Every case first pins the
// defect on cockatiel itself, then checks our workaround. On a move to cockatiel 4, the first half of a fixed
// defect's case fails: delete the workaround that case names, then the case. "Still in 4" was read in
// cockatiel's 4.0.0 sources (commit f475a69, changelog "4.0.0 (TBA)"); recheck it against the release.

const fail = async (): Promise<never> => {
  throw new Error('dependency down');
};
const ok = async (): Promise<string> => 'ok';
/** A call that never settles, whatever its signal says. */
const hang = () => new Promise<never>(() => undefined);

/** Our breaker manager for operation `db`: three failures open it for a second. */
function ours(breaker: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) {
  const m = manager({ retry: false, timeoutMs: 0, circuitBreaker: { failureThreshold: 3, recoveryTimeoutMs: 1000, ...breaker }, ...rest });
  const run = <T>(op: () => Promise<T>, signal?: AbortSignal) => m.policyFor('db').execute(op, call('db', signal), true);
  return { m, run };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('cockatiel 3.2.1', () => {
  it('is the version installed (these cases describe it; on an upgrade, walk through each)', () => {
    const { version } = createRequire(import.meta.url)('cockatiel/package.json') as { version: string };
    expect(version).toBe('3.2.1');
  });

  it('half-open lets every caller queued behind the trial run (workaround: the trial gate of CircuitBreaker.trial, halfOpenMaxCalls)', async () => {
    // cockatiel: three callers arrive while the first trial runs; all three run once it ends (without their
    // signals, too: the re-execution drops them).
    const raw = circuitBreaker(handleAll, { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(1) });
    await raw.execute(fail).catch(() => undefined);
    vi.advanceTimersByTime(1000);
    let ran = 0;
    const slow = async () => {
      ran++;
      await flush();
      return 1;
    };
    await Promise.all([raw.execute(slow), raw.execute(slow), raw.execute(slow)]);
    expect(ran).toBe(3);
    // Ours: one trial runs; the others are refused at once with CIRCUIT_OPEN.
    const { run } = ours({ halfOpenMaxCalls: 1 });
    for (let i = 0; i < 3; i++) await run(fail).catch(() => undefined);
    vi.advanceTimersByTime(1000);
    let started = 0;
    let release!: () => void;
    const held = () => {
      started++;
      return new Promise<string>((resolve) => (release = () => resolve('trial')));
    };
    const trial = run(held);
    const others = await Promise.allSettled([run(held), run(held), run(held)]);
    for (const o of others) expect((o as PromiseRejectedResult).reason).toBeInstanceOf(CircuitOpenError);
    release();
    await expect(trial).resolves.toBe('trial');
    expect(started).toBe(1);
    // Cockatiel 4: `halfOpenSampling.calls` bounds the trials in flight, but callers past it still wait for the
    // decision and then run. Keep the gate: it refuses them at once.
  });

  it('one successful trial closes the circuit (workaround: ProbationBreaker in breaker.ts, successThreshold)', async () => {
    const raw = circuitBreaker(handleAll, { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(1) });
    await raw.execute(fail).catch(() => undefined);
    vi.advanceTimersByTime(1000);
    await raw.execute(ok);
    expect(raw.state).toBe(CircuitState.Closed);
    // Ours: successThreshold 2 keeps it half-open after the first success.
    const { m, run } = ours({ successThreshold: 2, halfOpenMaxCalls: 1 });
    for (let i = 0; i < 3; i++) await run(fail).catch(() => undefined);
    vi.advanceTimersByTime(1000);
    await run(ok);
    expect(m.getCircuitBreakerStatus('db')).toBe('half_open');
    await run(ok);
    expect(m.getCircuitBreakerStatus('db')).toBe('closed');
    // Cockatiel 4: `halfOpenSampling: { calls: successThreshold, threshold: 0 }` needs that many successes and
    // opens on any failure. Delete ProbationBreaker's counting (`remaining`) and pass that option instead.
  });

  it('a trial failing with an error the breaker does not count closes the circuit (workaround: the catch in CircuitBreaker.trial)', async () => {
    // cockatiel treats an error its filter rejects as a success: an aborted trial closes a broken dependency's circuit.
    const counted = (e: unknown) => !(e instanceof AbortedError);
    const raw = circuitBreaker(handleWhen(counted), { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(1) });
    await raw.execute(fail).catch(() => undefined);
    vi.advanceTimersByTime(1000);
    await raw.execute(() => Promise.reject(new AbortedError())).catch(() => undefined);
    expect(raw.state).toBe(CircuitState.Closed);
    // Ours: the circuit stays half-open until a trial really succeeds.
    const { m, run } = ours();
    for (let i = 0; i < 3; i++) await run(fail).catch(() => undefined);
    vi.advanceTimersByTime(1000);
    await expect(run(() => Promise.reject(new AbortedError()))).rejects.toBeInstanceOf(AbortedError);
    expect(m.getCircuitBreakerStatus('db')).toBe('half_open');
    // Cockatiel 4: still there (executeHalfOpen's catch records a success). Keep.
  });

  it("retry's backoff sleep ignores the abort signal (workaround: abortableSleep in sleep.ts)", async () => {
    // cockatiel: aborted 10 ms into a 1 s backoff, it still sleeps the whole second, then runs one more attempt.
    const raw = retry(handleAll, { maxAttempts: 1, backoff: new ConstantBackoff(1000) });
    const controller = new AbortController();
    let attempts = 0;
    let settled = false;
    const result = raw
      .execute(async () => {
        attempts++;
        throw new Error('down');
      }, controller.signal)
      .catch(() => undefined)
      .finally(() => (settled = true));
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    await vi.advanceTimersByTimeAsync(500);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(500);
    await result;
    expect(attempts).toBe(2);
    // Ours: the abort ends the sleep at once, and no attempt follows it.
    const m = manager({ circuitBreaker: false, timeoutMs: 0, retry: { maxRetries: 1, baseDelayMs: 1000, jitterFactor: 0 } });
    const mine = new AbortController();
    let ourAttempts = 0;
    const ourResult = m.policyFor('op').execute(
      async () => {
        ourAttempts++;
        throw new Error('down');
      },
      call('op', mine.signal),
      true,
    );
    ourResult.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(10);
    mine.abort();
    await vi.advanceTimersByTimeAsync(1);
    await expect(ourResult).rejects.toBeInstanceOf(AbortedError);
    expect(ourAttempts).toBe(1);
    // Cockatiel 4: still there (its delay() takes no signal). Keep.
  });

  it('the bulkhead stalls its queue behind an aborted queued call (workaround: Bulkhead never hands cockatiel the signal)', async () => {
    // cockatiel: one slot busy, B and C queued, B aborted. When the slot frees, B's turn rejects it and nothing
    // starts C: a slot stays free while C waits.
    const raw: BulkheadPolicy = bulkhead(1, 2);
    let releaseA!: () => void;
    const a = raw.execute(() => new Promise<void>((r) => (releaseA = r)));
    const controller = new AbortController();
    const b = raw.execute(ok, controller.signal);
    let cStarted = false;
    const c = raw.execute(async () => {
      cStarted = true;
    });
    controller.abort();
    releaseA();
    await a;
    await expect(b).rejects.toBeInstanceOf(TaskCancelledError);
    await flush();
    expect(cStarted).toBe(false);
    expect(raw.executionSlots).toBe(1);
    void c;
    // Ours: B is released at once with ABORTED; when the slot frees, C runs.
    const m = manager({ retry: false, circuitBreaker: false, timeoutMs: 0, bulkhead: { maxConcurrent: 1, maxQueue: 2 } });
    const policy = m.policyFor('op');
    let releaseFirst!: () => void;
    const first = policy.execute(() => new Promise<string>((r) => (releaseFirst = () => r('first'))), call('op'), true);
    const mine = new AbortController();
    const aborted = policy.execute(ok, call('op', mine.signal), true);
    const third = policy.execute(async () => 'third', call('op'), true);
    mine.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortedError);
    releaseFirst();
    await expect(first).resolves.toBe('first');
    await expect(third).resolves.toBe('third');
    // Cockatiel 4 fixes the stall (#114): the `never` signal and the in-turn `signal.aborted` check in
    // Bulkhead.execute can go (pass the signal on). Keep the race: cockatiel 4 still rejects an aborted queued
    // call only when its turn comes, ours at once.
  });

  it("the timeout policy reports a caller's abort as a timeout (workaround: our own deadline queue, ABORTED vs TIMEOUT)", async () => {
    // cockatiel: the caller aborts after 10 ms of a 1 s timeout; the error says the operation timed out.
    const raw = timeout(1000, TimeoutStrategy.Aggressive);
    const controller = new AbortController();
    const result = raw.execute(hang, controller.signal);
    result.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskCancelledError);
    expect((error as Error).message).toBe('Operation timed out after 1000ms');
    // Ours (DeadlineQueue and AttemptContext, no cockatiel timeout): the same abort is ABORTED, never TIMEOUT.
    const m = manager({ retry: false, circuitBreaker: false, timeoutMs: 1000 });
    const mine = new AbortController();
    const ourResult = m.policyFor('op').execute(hang, call('op', mine.signal), true);
    ourResult.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(10);
    mine.abort();
    const ourError = await ourResult.catch((e: unknown) => e);
    expect(ourError).toBeInstanceOf(AbortedError);
    expect(ourError).not.toBeInstanceOf(TimeoutError);
    // Cockatiel 4: still there. Keep (our deadline queue is also far cheaper per call: see the bench).
  });

  it('isTaskCancelledError and isIsolatedCircuitError test the wrong marker (workaround: CircuitBreaker classifies with instanceof)', async () => {
    expect(isTaskCancelledError(new TaskCancelledError())).toBe(false);
    expect(isTaskCancelledError(new CockatielBulkheadRejected(1, 1))).toBe(true);
    expect(isIsolatedCircuitError(new IsolatedCircuitError())).toBe(false);
    // Ours: an isolated circuit's IsolatedCircuitError becomes CIRCUIT_OPEN.
    const breaker = new CircuitBreaker('db', circuitBreakerConfigSchema.parse({}), isOperationFailure);
    const isolation = breaker.isolate();
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(breaker.state).toBe('open');
    isolation[Symbol.dispose]();
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    // Cockatiel 4 fixes the predicates (#103). Nothing to delete: instanceof keeps working.
  });

  it("breaker state is shared by reference, both read and restored (workaround: structuredClone in ProbationBreaker's state accessors and snapshot())", async () => {
    // cockatiel: toJSON().breakerState is the sampling breaker's live state, and a restored initialState is
    // used as given, so both change after the fact.
    const raw = circuitBreaker(handleAll, { halfOpenAfter: 1000, breaker: new SamplingBreaker({ threshold: 0.5, duration: 5000 }) });
    const state = (raw.toJSON() as { breakerState: unknown }).breakerState;
    const before = JSON.stringify(state);
    await raw.execute(ok);
    expect(JSON.stringify(state)).not.toBe(before);
    const saved = JSON.parse(JSON.stringify(raw.toJSON())) as { breakerState: unknown };
    const savedText = JSON.stringify(saved);
    const restored = circuitBreaker(handleAll, {
      halfOpenAfter: 1000,
      breaker: new SamplingBreaker({ threshold: 0.5, duration: 5000 }),
      initialState: saved,
    });
    await restored.execute(ok);
    expect(JSON.stringify(saved)).not.toBe(savedText);
    // Ours: an exported snapshot, and the object a snapshot is restored from, stay as they were.
    const { m, run } = ours({ mode: 'failure_rate', samplingDurationMs: 5000 });
    await run(fail).catch(() => undefined);
    const snapshot = m.exportBreakerState();
    const snapshotText = JSON.stringify(snapshot);
    for (let i = 0; i < 5; i++) await run(ok);
    expect(JSON.stringify(snapshot)).toBe(snapshotText);
    const { m: other, run: runOther } = ours({ mode: 'failure_rate', samplingDurationMs: 5000 });
    other.restoreBreakerState(snapshot);
    for (let i = 0; i < 5; i++) await runOther(ok);
    expect(JSON.stringify(snapshot)).toBe(snapshotText);
    // Cockatiel 4 copies the count and sampling breakers' state in their accessors (#113): delete the
    // structuredClone calls in ProbationBreaker's `state` getter and setter.
  });
});
