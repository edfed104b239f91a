import { describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../src/errors.js';
import { installTestOtel } from '../support/otel.js';
import { observedSystem } from './gates.js';

const otel = installTestOtel();

// executeProtectedOperation is not an async function (its setup runs synchronously, step 7 is one
// continuation): what a caller sees must be what an async function gave.
describe('executeProtectedOperation without an async frame', () => {
  it('bad input is a rejected promise, never a synchronous throw', async () => {
    const { system } = observedSystem();
    let pending: Promise<unknown> | undefined;
    expect(() => {
      pending = system.executeProtectedOperation('op', undefined, 'not a function' as never);
    }).not.toThrow();
    await expect(pending).rejects.toBeInstanceOf(InvalidConfigError);
    const badUser = system.executeProtectedOperation('op', 'x'.repeat(10_000), async () => 1);
    await expect(badUser).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    const badDeadline = system.executeProtectedOperation('op', undefined, async () => 1, { deadlineMs: -5 });
    await expect(badDeadline).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('an operation that throws synchronously rejects with its error, monitored and released', async () => {
    otel.spans.reset();
    const { system, held } = observedSystem();
    const boom = new Error('sync boom');
    const pending = system.executeProtectedOperation('op', undefined, () => {
      throw boom;
    });
    await expect(pending).rejects.toBe(boom);
    expect(held()).toEqual({ requests: 0, permits: 0 });
    const [span] = otel.spans.getFinishedSpans();
    expect(span?.attributes['production.outcome']).toBe('error');
  });

  it('calls in flight are counted until step 7 runs, then released', async () => {
    const { system, held } = observedSystem();
    let finish!: (value: number) => void;
    const pending = system.executeProtectedOperation('op', undefined, () => new Promise<number>((resolve) => (finish = resolve)));
    await Promise.resolve();
    expect(held()).toEqual({ requests: 1, permits: 1 });
    finish(7);
    await expect(pending).resolves.toBe(7);
    expect(held()).toEqual({ requests: 0, permits: 0 });
  });

  it('an operation that starts another protected call synchronously gets its own attempt, both timed out apart', async () => {
    // The attempt's promise executor is shared: the inner call starts inside the outer's executor.
    const { system } = observedSystem({ config: { errorRecovery: { defaults: { timeoutMs: 60_000 } } } });
    const seen: string[] = [];
    const value = await system.executeProtectedOperation('outer', undefined, (outer) => {
      const inner = system.executeProtectedOperation('inner', undefined, async (ctx) => {
        seen.push(`${ctx.operationName} ${ctx.attempt}`);
        return 2;
      });
      seen.push(`${outer.operationName} ${outer.attempt}`);
      return inner.then((n) => n * 21);
    });
    expect(value).toBe(42);
    expect(seen).toEqual(['inner 1', 'outer 1']);
  });
});
