import { beforeEach, describe, expect, it } from 'vitest';
import { installTestOtel } from '../support/otel.js';
import { observedSystem } from './gates.js';

const otel = installTestOtel();

describe('hedging through executeProtectedOperation', () => {
  beforeEach(() => otel.spans.reset());

  it('configureOperation turns it on; a hung first attempt is overtaken by the hedge and aborted; the span tells', async () => {
    const { system } = observedSystem();
    system.configureOperation('graph.query', { hedging: { delayMs: 20 } });
    let firstAborted: unknown;
    const value = await system.executeProtectedOperation('graph.query', 'alice', (ctx) => {
      // The first attempt hangs until its signal aborts; the hedge answers at once: no timing is assumed.
      if (ctx.attempt > 1) return Promise.resolve(`attempt ${ctx.attempt}`);
      return new Promise<string>((_resolve, reject) =>
        ctx.signal.addEventListener('abort', () => {
          firstAborted = ctx.signal.reason;
          reject(new Error('first attempt stopped'));
        }),
      );
    });
    expect(value).toBe('attempt 2');
    expect(firstAborted).toMatchObject({ code: 'ABORTED' });
    const [span] = otel.spans.getFinishedSpans();
    expect(span?.attributes['production.outcome']).toBe('success');
    expect(span?.attributes['production.attempts']).toBe(2);
    expect(span?.events.find((e) => e.name === 'hedge')?.attributes).toMatchObject({
      'production.attempt': 2,
      'production.hedge.delay_ms': 20,
    });
    await system.shutdown();
  });
});
