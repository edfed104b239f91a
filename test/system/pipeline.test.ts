import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidConfigError, RateLimitedError, ShuttingDownError } from '../../src/errors.js';
import { clockOf } from '../support/clock.js';
import { installTestOtel } from '../support/otel.js';
import { observedSystem } from './gates.js';

const otel = installTestOtel();

describe('executeProtectedOperation', () => {
  beforeEach(() => otel.spans.reset());

  it('runs the seven steps in order and releases what it holds', async () => {
    const { system, steps, held } = observedSystem();
    const value = await system.executeProtectedOperation(
      'graph.query',
      'alice',
      async () => {
        steps.push('6 operation');
        return 42;
      },
      { estimatedMemoryBytes: 1024 },
    );
    expect(value).toBe(42);
    expect(steps).toEqual([
      '1 shutdown check',
      '2 track request',
      '3 rate limit graph.query alice',
      '4 resources 1024',
      '5 permit',
      '6 operation',
      'release permit',
      'release request',
    ]);
    expect(held()).toEqual({ requests: 0, permits: 0 });
  });

  it('a rejection stops the pipeline before the operation and is a rejected span', async () => {
    // One call per user, and a clock that stands still: alice's second call waits exactly 1 / 4 s.
    const perUser = { algorithm: 'token_bucket', capacity: 1, refillPerSecond: 4 } as const;
    const { system, steps, held, logs } = observedSystem({ config: { rateLimiting: { perUser } }, limitsClock: clockOf(() => 0) });
    await system.executeProtectedOperation('graph.query', 'alice', async () => 1);
    steps.length = 0;
    otel.spans.reset();
    let ran = false;
    const error = await system
      .executeProtectedOperation('graph.query', 'alice', async () => {
        ran = true;
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(ran).toBe(false);
    expect(steps).toEqual(['1 shutdown check', '2 track request', '3 rate limit graph.query alice', 'release request']);
    expect(held()).toEqual({ requests: 0, permits: 0 });
    const [span] = otel.spans.getFinishedSpans();
    expect(span?.attributes['production.outcome']).toBe('rejected');
    expect(span?.attributes['error.type']).toBe('RATE_LIMITED');
    const event = span?.events.find((e) => e.name === 'rate_limit.rejected');
    expect(event?.attributes).toMatchObject({ 'production.rate_limit.scope': 'user', 'production.retry_after_ms': 250 });
    expect(logs().some((l) => l.level === 'warn' && l.message.includes('RATE_LIMITED'))).toBe(true);
    expect(system.components.recovery.getOperationStats('graph.query')?.rejections).toBe(1);
  });

  it('refuses with SHUTTING_DOWN while shutting down', async () => {
    const { system, steps } = observedSystem();
    expect((await system.components.shutdown.initiateShutdown('test')).forced).toBe(false);
    await expect(system.executeProtectedOperation('op', undefined, async () => 1)).rejects.toBeInstanceOf(ShuttingDownError);
    expect(steps).toEqual(['1 shutdown check']);
    expect(otel.spans.getFinishedSpans().find((s) => s.name === 'op')?.attributes['error.type']).toBe('SHUTTING_DOWN');
  });

  it("makes one INTERNAL span per operation with the conventions' attributes", async () => {
    const { system } = observedSystem();
    await system.executeProtectedOperation('graph.query', 'alice', async () => 'ok');
    const [span] = otel.spans.getFinishedSpans();
    expect(span?.name).toBe('graph.query');
    expect(span?.kind).toBe(SpanKind.INTERNAL);
    expect(span?.attributes).toMatchObject({
      'production.operation.name': 'graph.query',
      'production.correlation_id': span?.spanContext().traceId,
      'user.id': 'alice',
      'production.outcome': 'success',
      'production.attempts': 1,
    });
  });

  it("runs the operation in its span's context, so user spans nest under it", async () => {
    const { system } = observedSystem();
    await system.executeProtectedOperation('outer', 'u', async (ctx) => {
      trace.getTracer('user').startActiveSpan('user-work', (s) => s.end());
      expect(trace.getActiveSpan()?.spanContext().spanId).toBe(ctx.span.spanContext().spanId);
    });
    const spans = otel.spans.getFinishedSpans();
    const outer = spans.find((s) => s.name === 'outer');
    const inner = spans.find((s) => s.name === 'user-work');
    expect(inner?.parentSpanContext?.spanId).toBe(outer?.spanContext().spanId);
  });

  it('honours the active parent context (incoming traceparent)', async () => {
    const { system } = observedSystem();
    const parent = propagation.extract(context.active(), { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    await context.with(parent, () => system.executeProtectedOperation('op', undefined, async () => 1));
    const [span] = otel.spans.getFinishedSpans();
    expect(span?.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(span?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(span?.attributes['production.correlation_id']).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it('carries an explicit correlation ID into nested operations', async () => {
    const { system } = observedSystem();
    let nested: string | undefined;
    await system.executeProtectedOperation(
      'outer',
      'u',
      async () => {
        await system.executeProtectedOperation('inner', 'u', async (ctx) => {
          nested = ctx.correlationId;
        });
      },
      { correlationId: 'req-123' },
    );
    expect(nested).toBe('req-123');
    const inner = otel.spans.getFinishedSpans().find((s) => s.name === 'inner');
    expect(inner?.attributes['production.correlation_id']).toBe('req-123');
  });

  it('takes the correlation ID from W3C baggage', async () => {
    const { system } = observedSystem();
    const parent = propagation.extract(context.active(), { baggage: 'correlation_id=from-gateway' });
    const seen = await context.with(parent, () => system.executeProtectedOperation('op', undefined, async (ctx) => ctx.correlationId));
    expect(seen).toBe('from-gateway');
  });

  it('records retries as span events and the failure on the span', async () => {
    const { system, logs } = observedSystem({ config: { errorRecovery: { defaults: { circuitBreaker: false } } } });
    let attempts = 0;
    const error = await system
      .executeProtectedOperation('flaky', 'u', async () => {
        attempts++;
        throw new TypeError('bad response');
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(attempts).toBe(4);
    const [span] = otel.spans.getFinishedSpans();
    const retries = span?.events.filter((e) => e.name === 'retry') ?? [];
    expect(retries.map((e) => e.attributes?.['production.attempt'])).toEqual([1, 2, 3]);
    expect(retries[0]?.attributes).toMatchObject({ 'error.type': 'TypeError', 'production.retry.delay_ms': 1 });
    expect(span?.attributes).toMatchObject({ 'production.outcome': 'error', 'production.attempts': 4, 'error.type': 'TypeError' });
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.events.some((e) => e.name === 'exception')).toBe(true);
    // The span has every retry; the log has the first of the interval (the rest go into a summary record).
    expect(logs().filter((l) => l.message.startsWith('Attempt'))).toHaveLength(1);
    expect(logs().at(-1)?.level).toBe('error');
  });

  it('does not retry a call marked non-idempotent', async () => {
    const { system } = observedSystem({ config: { errorRecovery: { defaults: { circuitBreaker: false } } } });
    let attempts = 0;
    await system
      .executeProtectedOperation(
        'write',
        'u',
        async () => {
          attempts++;
          throw new Error('conflict');
        },
        { idempotent: false },
      )
      .catch(() => undefined);
    expect(attempts).toBe(1);
  });

  it('records the duration histogram without the user id', async () => {
    const { system } = observedSystem();
    await system.executeProtectedOperation('metered', 'secret-user', async () => 1);
    const metric = await otel.metric('production.operation.duration');
    expect(metric?.descriptor.unit).toBe('s');
    const point = metric?.dataPoints.find((p) => p.attributes['production.operation.name'] === 'metered');
    expect(point?.attributes).toEqual({ 'production.operation.name': 'metered', 'production.outcome': 'success' });
    expect(JSON.stringify(metric)).not.toContain('secret-user');
  });

  it('reports the breaker state and active operations through observable instruments', async () => {
    const { system } = observedSystem();
    let during: number | undefined;
    await system.executeProtectedOperation('watched', 'u', async () => {
      const active = await otel.metric('production.operation.active');
      during = active?.dataPoints.find((p) => p.attributes['production.operation.name'] === 'watched')?.value as number;
    });
    expect(during).toBe(1);
    const states = await otel.metric('production.circuit_breaker.state');
    const closed = states?.dataPoints.find(
      (p) => p.attributes['production.operation.name'] === 'watched' && p.attributes.state === 'closed',
    );
    expect(closed?.value).toBe(1);
  });

  it('makes a child span per attempt only when attemptSpans is on', async () => {
    const { system } = observedSystem({
      config: { errorRecovery: { defaults: { circuitBreaker: false, retry: { maxRetries: 1, baseDelayMs: 1, jitterFactor: 0 } } } },
    });
    const flaky = async (ctx: { attempt: number }) => {
      if (ctx.attempt === 1) throw new Error('first fails');
      return 'ok';
    };
    await system.executeProtectedOperation('plain', 'u', flaky);
    expect(otel.spans.getFinishedSpans().map((s) => s.name)).toEqual(['plain']);
    otel.spans.reset();
    system.configureOperation('detailed', { attemptSpans: true });
    await system.executeProtectedOperation('detailed', 'u', flaky);
    const spans = otel.spans.getFinishedSpans();
    const parent = spans.find((s) => s.name === 'detailed');
    const attempts = spans.filter((s) => s.name === 'detailed attempt');
    expect(attempts.map((s) => s.attributes['production.attempt'])).toEqual([1, 2]);
    expect(attempts.every((s) => s.parentSpanContext?.spanId === parent?.spanContext().spanId)).toBe(true);
    expect(attempts[0]?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('accepts an operation that returns a plain value or throws synchronously (untyped JavaScript callers)', async () => {
    const { system } = observedSystem({ config: { errorRecovery: { defaults: { retry: false } } } });
    const plain = (() => 7) as unknown as () => Promise<number>;
    await expect(system.executeProtectedOperation('plain.value', 'u', plain)).resolves.toBe(7);
    const throws = (() => {
      throw new RangeError('sync');
    }) as unknown as () => Promise<never>;
    await expect(system.executeProtectedOperation('sync.throw', 'u', throws)).rejects.toBeInstanceOf(RangeError);
    expect(system.components.recovery.getOperationStats('sync.throw')?.failures).toBe(1);
  });

  it('names the bad argument', async () => {
    const { system } = observedSystem();
    const notAFunction = 'nope' as unknown as () => Promise<void>;
    await expect(system.executeProtectedOperation('op', 'u', notAFunction)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      path: 'operation',
    });
    await expect(system.executeProtectedOperation('', 'u', async () => 1)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      path: 'operationName',
    });
    await expect(system.executeProtectedOperation('x'.repeat(300), 'u', async () => 1)).rejects.toBeInstanceOf(InvalidConfigError);
    await expect(system.executeProtectedOperation('op', 'u'.repeat(5000), async () => 1)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      path: 'userId',
    });
  });
});
