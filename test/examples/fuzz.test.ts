import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORRELATION_ID_PATTERN } from '../../src/telemetry/correlation.js';
import { startService, type Service } from '../instrumentation/helpers.js';
import { rawExchange, rawRequest, type RawOutcome } from '../support/raw-http.js';

// The example service under the preload, fed hostile requests on raw sockets (so malformed headers reach
// it as sent). Whatever a request holds, the service must answer it with a well-formed 2xx to 4xx response
// and keep serving. Regression: `baggage: correlation_id=a%0D%0Ab` used to end the process with
// ERR_INVALID_CHAR, the decoded ID going into res.setHeader outside the handler's try.

interface FuzzRequest {
  method: string;
  path: string;
  headers: Array<[string, string]>;
  body: string;
}

/** Values that broke, or could break, a header write or a decode. */
const NASTY = [
  'caf%C3%A9',
  '%0D%0A',
  'a%0D%0Ab',
  '%00',
  '%7F',
  '%E0%A4%A',
  '%',
  'x'.repeat(300),
  '"q"',
  'a,b;c=d',
  'é',
  '\u0000',
  '\u007f',
  ' ',
  '',
];
const noLineBreaks = (s: string): string => s.replace(/[\r\n]/g, '');
const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 40 });
const unicode = fc.string({ unit: 'grapheme', maxLength: 20 });
const binary = fc.string({ unit: 'binary', maxLength: 40 }).map(noLineBreaks);
const nasty = fc.constantFrom(...NASTY);
// Mostly what a client could send, some of it only an attacker would: control bytes make the parser answer
// 400 itself, so they are a small share, and the rest reach the handler.
const value = fc.oneof(
  { arbitrary: printable, weight: 4 },
  { arbitrary: nasty, weight: 3 },
  { arbitrary: printable.map(encodeURIComponent), weight: 2 },
  { arbitrary: unicode, weight: 2 },
  { arbitrary: binary, weight: 1 },
);
const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });

const baggage = fc.oneof(
  value,
  fc.tuple(value, fc.option(value)).map(([v, more]) => `correlation_id=${v}${more === null ? '' : `,${more}`}`),
  fc.tuple(value, value).map(([k, v]) => `${k}=${v}`),
);
const traceparent = fc.oneof(
  value,
  fc.tuple(hex(32), hex(16), fc.constantFrom('00', '01', 'ff', 'zz')).map(([t, s, f]) => `00-${t}-${s}-${f}`),
);
const contentType = fc.oneof(
  value,
  fc.constantFrom('application/json', 'application/json; charset=utf-16', 'text/plain', 'multipart/form-data; boundary='),
);
const segment = fc.oneof(
  { arbitrary: printable.map(encodeURIComponent), weight: 4 },
  { arbitrary: nasty.map((v) => v.replace(/ /g, '%20')), weight: 3 },
  { arbitrary: printable.map((v) => v.replace(/[ #?/]/g, '')), weight: 2 },
  { arbitrary: unicode, weight: 1 },
);
const path = fc
  .oneof(
    fc.constantFrom('/stats', '/search?q=ada', '/entities', '/relations', '/', '*', '//x', '/%', '/stats?'),
    segment.map((s) => `/entities/${s}`),
    segment.map((s) => `/entities/${s}/neighbours?limit=${s}`),
    fc.tuple(segment, segment).map(([a, b]) => `/path?from=${a}&to=${b}&maxDepth=${a}`),
    segment.map((s) => `/search?q=${s}&limit=${s}`),
    binary.map((s) => `/${s}`),
  )
  // The one route that changes the service's behaviour (fault injection) stays out of the fuzz.
  .filter((p) => !p.toLowerCase().includes('admin'));

/** `arbitrary` on one request in `1 / every`, else absent. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>, every: number) =>
  fc.oneof({ arbitrary: fc.constant(null), weight: every - 1 }, { arbitrary, weight: 1 });

const request: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method: fc.oneof(
      { arbitrary: fc.constantFrom('GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'), weight: 9 },
      { arbitrary: printable, weight: 1 },
    ),
    path,
    baggage: sometimes(baggage, 2),
    traceparent: sometimes(traceparent, 2),
    tracestate: sometimes(value, 3),
    correlation: sometimes(value, 2),
    user: sometimes(value, 2),
    contentType: sometimes(contentType, 3),
    contentLength: sometimes(value, 6),
    body: fc.oneof(fc.constant(''), unicode, fc.constant('{"id":"fz","name":"Fuzz","type":"Person"}'), fc.json()),
  })
  .map((r) => {
    const headers: Array<[string, string]> = [];
    if (r.baggage !== null) headers.push(['baggage', r.baggage]);
    if (r.traceparent !== null) headers.push(['traceparent', r.traceparent]);
    if (r.tracestate !== null) headers.push(['tracestate', r.tracestate]);
    if (r.correlation !== null) headers.push(['x-correlation-id', r.correlation]);
    if (r.user !== null) headers.push(['x-user-id', r.user]);
    if (r.contentType !== null) headers.push(['content-type', r.contentType]);
    const length = Buffer.byteLength(r.body);
    // A numeric length other than the body's would leave the server waiting for bytes that never come.
    if (r.contentLength !== null) headers.push(['content-length', /^\s*\d+\s*$/.test(r.contentLength) ? String(length) : r.contentLength]);
    else if (length > 0) headers.push(['content-length', String(length)]);
    return { method: r.method, path: r.path, headers, body: r.body };
  });

function bytesOf(r: FuzzRequest): Buffer {
  return rawRequest(`${r.method} ${r.path} HTTP/1.1`, [['host', '127.0.0.1'], ['connection', 'close'], ...r.headers], r.body);
}

/** Why an outcome is not a well-formed answer, or undefined when it is. */
function problem(outcome: RawOutcome): string | undefined {
  if (outcome.kind !== 'response') return `no response (${outcome.kind === 'error' ? outcome.code : 'timeout'})`;
  const { status, headers } = outcome.response;
  if (status < 200 || status > 499) return `status ${status}: ${outcome.response.raw.slice(0, 300)}`;
  const id = headers['x-correlation-id'];
  if (id !== undefined && !CORRELATION_ID_PATTERN.test(id)) return `unsafe x-correlation-id ${JSON.stringify(id)}`;
  return undefined;
}

const example = (overrides: Partial<FuzzRequest>): FuzzRequest => ({ method: 'GET', path: '/stats', headers: [], body: '', ...overrides });

describe('the example service under hostile requests (fast-check, raw sockets)', () => {
  let service: Service;
  let port: number;
  beforeAll(async () => {
    service = await startService('require', { PRODUCTION_LOG_LEVEL: 'error' });
    port = Number(new URL(service.url).port);
  });
  afterAll(async () => {
    expect((await service.stop()).code).toBe(0);
  });

  it('answers every request with a well-formed 2xx-4xx response and keeps serving /livez and the API', async () => {
    const issueExamples = ['caf%C3%A9', '%0D%0A', 'a%0D%0Ab', '%00', '%7F'].map((v) =>
      example({
        headers: [
          ['baggage', `correlation_id=${v}`],
          ['x-correlation-id', noLineBreaks(decodeURIComponent(v))],
        ],
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 5, maxLength: 20 }), async (batch) => {
        const outcomes = await Promise.all(batch.map((r) => rawExchange(port, bytesOf(r))));
        outcomes.forEach((outcome, i) => {
          const why = problem(outcome);
          if (why !== undefined)
            throw new Error(`${why}\nrequest: ${JSON.stringify(bytesOf(batch[i]!).toString('latin1'))}\n${service.stderr().slice(-2000)}`);
        });
        if (!service.running()) throw new Error(`the service exited:\n${service.stderr().slice(-4000)}`);
        const live = await fetch(`${service.adminUrl}/livez`);
        expect(live.status).toBe(200);
        const stats = await fetch(`${service.url}/stats`);
        expect(stats.status).toBe(200);
      }),
      { numRuns: 20, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2_147_483_647), endOnFailure: true, examples: [[issueExamples]] },
    );
  }, 120_000);
});
