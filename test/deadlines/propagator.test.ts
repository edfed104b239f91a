import { ROOT_CONTEXT, defaultTextMapGetter, defaultTextMapSetter, propagation, trace } from '@opentelemetry/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeadlinePropagator, deadlineOf, parseGrpcTimeout, withDeadline } from '../../src/deadlines/index.js';
import { preloadPropagators } from '../../src/sdk/preload/telemetry.js';
import { productionSdkConfig } from '../../src/sdk/readers.js';
import { manualClock } from '../support/clock.js';

const clock = manualClock(1000);
const propagator = new DeadlinePropagator({ clock, maxIncomingMs: 60_000 });

function extracted(headers: Record<string, string | string[]>): number | undefined {
  const at = deadlineOf(propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter));
  return at === undefined ? undefined : at - clock.now;
}

describe('DeadlinePropagator', () => {
  it('writes the time left as production-deadline-ms (relative ms, rounded up, 0 once passed), and nothing without a deadline', () => {
    const carrier: Record<string, string> = {};
    propagator.inject(withDeadline(ROOT_CONTEXT, clock.now + 150.2), carrier, defaultTextMapSetter);
    expect(carrier).toEqual({ 'production-deadline-ms': '151' });
    propagator.inject(withDeadline(ROOT_CONTEXT, clock.now - 20), carrier, defaultTextMapSetter);
    expect(carrier['production-deadline-ms']).toBe('0');
    const none: Record<string, string> = {};
    propagator.inject(ROOT_CONTEXT, none, defaultTextMapSetter);
    expect(none).toEqual({});
    expect(propagator.fields()).toEqual(['production-deadline-ms']);
  });

  it('reads production-deadline-ms, grpc-timeout and x-envoy-expected-rq-timeout-ms; the shortest wins', () => {
    expect(extracted({ 'production-deadline-ms': '200' })).toBe(200);
    expect(extracted({ 'grpc-timeout': '150m' })).toBe(150);
    expect(extracted({ 'x-envoy-expected-rq-timeout-ms': '300' })).toBe(300);
    expect(extracted({ 'production-deadline-ms': '200', 'grpc-timeout': '1S', 'x-envoy-expected-rq-timeout-ms': '120' })).toBe(120);
    expect(extracted({ 'production-deadline-ms': ['80'] })).toBe(80);
  });

  it('ignores malformed values and caps huge ones at maxIncomingMs', () => {
    for (const bad of ['', 'abc', '-5', '1e3', '12ms', ' ', '0x10', 'Infinity', '1'.repeat(40)]) {
      expect(extracted({ 'production-deadline-ms': bad, 'x-envoy-expected-rq-timeout-ms': bad, 'grpc-timeout': bad })).toBeUndefined();
    }
    expect(extracted({ 'production-deadline-ms': ['1', '2'] })).toBeUndefined();
    // Envoy's 0 means "no timeout".
    expect(extracted({ 'x-envoy-expected-rq-timeout-ms': '0' })).toBeUndefined();
    expect(extracted({ 'production-deadline-ms': '999999999999' })).toBe(60_000);
    expect(extracted({ 'grpc-timeout': '99999999H' })).toBe(60_000);
  });

  it('keeps a deadline already in the context when it is earlier', () => {
    const ctx = withDeadline(ROOT_CONTEXT, clock.now + 50);
    const at = deadlineOf(propagator.extract(ctx, { 'production-deadline-ms': '500' }, defaultTextMapGetter));
    expect(at).toBe(clock.now + 50);
  });

  it('fuzz: any header values never throw, and any deadline read is between 0 and the cap', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (a, b, c) => {
        const ms = extracted({ 'production-deadline-ms': a, 'grpc-timeout': b, 'x-envoy-expected-rq-timeout-ms': c });
        if (ms !== undefined) {
          expect(ms).toBeGreaterThanOrEqual(0);
          expect(ms).toBeLessThanOrEqual(60_000);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('parseGrpcTimeout knows every unit of the gRPC spec', () => {
    expect(parseGrpcTimeout('2H')).toBe(7_200_000);
    expect(parseGrpcTimeout('3M')).toBe(180_000);
    expect(parseGrpcTimeout('4S')).toBe(4000);
    expect(parseGrpcTimeout('5m')).toBe(5);
    expect(parseGrpcTimeout('6000u')).toBe(6);
    expect(parseGrpcTimeout('7000000n')).toBe(7);
    expect(parseGrpcTimeout('123456789S')).toBeUndefined();
    expect(parseGrpcTimeout('5')).toBeUndefined();
  });
});

describe('the deadline propagator in the SDK setups', () => {
  it('productionSdkConfig() carries W3C trace context, baggage and the deadline', () => {
    const { textMapPropagator } = productionSdkConfig();
    const span = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 };
    let ctx = trace.setSpanContext(ROOT_CONTEXT, span);
    ctx = propagation.setBaggage(ctx, propagation.createBaggage({ correlation_id: { value: 'c1' } }));
    ctx = withDeadline(ctx, performance.now() + 5000);
    const carrier: Record<string, string> = {};
    textMapPropagator.inject(ctx, carrier, defaultTextMapSetter);
    expect(carrier.traceparent).toBe(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`);
    expect(carrier.baggage).toBe('correlation_id=c1');
    expect(Number(carrier['production-deadline-ms'])).toBeGreaterThan(4900);
    expect(textMapPropagator.fields()).toEqual(expect.arrayContaining(['traceparent', 'baggage', 'production-deadline-ms']));
  });

  it('the preload builds what OTEL_PROPAGATORS names for the composite; none turns propagation off', () => {
    expect(preloadPropagators(undefined)).toBeUndefined();
    expect(preloadPropagators(['none', 'b3'])).toBeNull();
    const built = preloadPropagators(['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger'])!;
    expect(built.map((p) => p.fields()[0])).toEqual(['traceparent', 'baggage', 'b3', 'x-b3-traceid', 'uber-trace-id']);
    const { textMapPropagator } = productionSdkConfig({}, { propagators: built });
    expect(textMapPropagator.fields()).toEqual(expect.arrayContaining(['b3', 'uber-trace-id', 'production-deadline-ms']));
  });
});
