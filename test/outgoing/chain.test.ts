import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, startChainService } from '../instrumentation/helpers.js';
import { eventually, requireBuild, type ChildHandle } from '../support/helpers.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';

// Three real services under the preload: the client calls A, A calls B with `fetch`, B calls C with its
// protected client (`fetch` underneath) and with `http.get`. A runs the embedded setup (nothing exported), B
// and C the Node SDK one, exporting spans to an OTLP receiver. The trace, the deadline and the criticality
// cross every hop; each attempt of B's protected client is one client span, the retry with
// `http.request.resend_count`.

const FIXTURE = 'test/outgoing/fixtures/chain-service.cjs';
const CLIENT_DEADLINE_MS = 5000;
const SPAN_KIND_CLIENT = 3;

interface Line {
  role: string;
  via: string | null;
  header: string | null;
  traceparent: string | null;
  baggage: string | null;
  traceId: string;
  criticality: string | null;
  leftMs: number | null;
  spentMs: number;
  status: number;
  error?: string;
}

const services: ChildHandle[] = [];
let receiver: OtlpReceiver;

async function start(role: string, next: string, extra: Record<string, string> = {}): Promise<string> {
  const { handle, url } = await startChainService(FIXTURE, role, next, extra);
  services.push(handle);
  return url;
}

function lines(handle: ChildHandle): Line[] {
  return jsonLines<Line>(handle);
}

describe('outgoing calls across three real services (A -fetch-> B -protected fetch, http.get-> C, under the preload)', () => {
  let entry = '';
  beforeAll(async () => {
    requireBuild();
    receiver = await startOtlpReceiver();
    const exporting = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none' };
    const c = await start('C', '', { ...exporting, OTEL_SERVICE_NAME: 'svc-c' });
    const b = await start('B', c, { ...exporting, OTEL_SERVICE_NAME: 'svc-b' });
    entry = await start('A', b);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await receiver?.close();
  });

  it("C's spans are in A's trace, the deadline at C is the client's minus the time spent, A's criticality reaches C", async () => {
    const traceId = randomBytes(16).toString('hex');
    const started = performance.now();
    const response = await fetch(entry, {
      method: 'POST',
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`, 'production-deadline-ms': String(CLIENT_DEADLINE_MS) },
    });
    expect(response.status, JSON.stringify(services.map((s) => s.lines()))).toBe(200);
    await response.text();
    const elapsed = performance.now() - started;
    const [c, b, a] = services.map(lines) as [Line[], Line[], Line[]];
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    // Two requests by fetch (the 503 and its retry), one by http.get.
    expect(c.map((line) => line.via)).toEqual(['fetch', 'fetch', 'http']);
    expect(c.map((line) => line.status)).toEqual([503, 200, 200]);
    expect(b[0]).toMatchObject({ nextStatus: [200, 200] });

    // The trace: A continued the client's, B and C continued A's.
    for (const line of [...a, ...b, ...c]) expect(line.traceId).toBe(traceId);
    for (const line of [...b, ...c]) expect(line.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    // The deadline: each hop received what its caller had left when it sent, never more.
    const header = (line: Line) => Number(line.header);
    expect(header(a[0]!)).toBe(CLIENT_DEADLINE_MS);
    expect(header(b[0]!)).toBeLessThanOrEqual(CLIENT_DEADLINE_MS - Math.floor(a[0]!.spentMs));
    for (const line of c) {
      expect(header(line)).toBeLessThanOrEqual(header(b[0]!) - Math.floor(b[0]!.spentMs));
      expect(header(line)).toBeGreaterThanOrEqual(CLIENT_DEADLINE_MS - elapsed);
      // C's operation ran with the deadline its request brought.
      expect(line.leftMs).toBeLessThanOrEqual(header(line));
      expect(line.leftMs).toBeGreaterThan(0);
    }
    // The retry left later than the first attempt, so it carried less time.
    expect(header(c[1]!)).toBeLessThanOrEqual(header(c[0]!));

    // The criticality A's call chose travels in the baggage over fetch and http.get alike; C sheds by it.
    // A's request brought none; its operation's context carries the class it chose.
    expect(a[0]!.baggage).toBeNull();
    expect(a[0]!.criticality).toBe('sheddable');
    for (const line of [...b, ...c]) {
      expect(line.baggage).toContain('criticality=sheddable');
      expect(line.criticality).toBe('sheddable');
    }

    // C's exported spans are in A's trace; C's operation was admitted as `sheddable`.
    const cSpans = await eventually(
      () => {
        const found = receiver.spans.filter((s) => s.name === 'C.handle');
        return found.length === 3 && found;
      },
      { what: "C's three operation spans", timeoutMs: 15_000 },
    );
    for (const span of cSpans) {
      expect(span.traceId).toBe(traceId);
      expect(span.attributes['production.criticality']).toBe('sheddable');
    }

    // B's client spans: one per attempt of the protected client (the resend counted), one for http.get, no duplicates.
    const clients = await eventually(
      () => {
        const found = receiver.spans.filter((s) => s.kind === SPAN_KIND_CLIENT);
        return found.length >= 3 && found;
      },
      { what: "B's client spans", timeoutMs: 15_000 },
    );
    const viaFetch = clients.filter((s) => String(s.attributes['url.full'] ?? '').includes('via=fetch'));
    const viaHttp = clients.filter((s) => Object.values(s.attributes).some((v) => String(v).includes('via=http')));
    expect(viaFetch.map((s) => s.attributes['http.request.resend_count'])).toEqual([undefined, 1]);
    expect(viaFetch.map((s) => s.attributes['http.response.status_code'])).toEqual([503, 200]);
    expect(viaHttp).toHaveLength(1);
    expect(clients).toHaveLength(3);
    for (const span of clients) expect(span.traceId).toBe(traceId);
    // Each request named its own client span as the parent.
    for (const [i, span] of viaFetch.entries()) expect(c[i]!.traceparent).toBe(`00-${traceId}-${span.spanId}-01`);
    expect(receiver.problems).toEqual([]);
  }, 60_000);
});
