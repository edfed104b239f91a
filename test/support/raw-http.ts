import { connect } from 'node:net';

/** A parsed HTTP/1.1 response read off a raw socket. */
export interface RawResponse {
  /** Status code, or 0 when the bytes were not an HTTP response. */
  readonly status: number;
  /** Lower-cased header names; repeated headers joined with ", ". */
  readonly headers: Record<string, string>;
  /** Everything after the header block, as latin1. */
  readonly body: string;
  /** The bytes as received, latin1. */
  readonly raw: string;
}

/** Outcome of one raw exchange: a response, or how the connection failed. */
export type RawOutcome = { kind: 'response'; response: RawResponse } | { kind: 'error'; code: string } | { kind: 'timeout'; raw: string };

/** Parses the first response in `raw` (latin1). */
export function parseResponse(raw: string): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  const head = end === -1 ? raw : raw.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3}) /.exec(statusLine + ' ');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: match ? Number(match[1]) : 0, headers, body: end === -1 ? '' : raw.slice(end + 4), raw };
}

/**
 * Writes `request` (bytes exactly as given, so malformed headers reach the server) on a fresh connection and
 * reads until the server closes it or `timeoutMs` passes. Send `Connection: close`, so the server closes
 * the connection after its one response.
 */
export function rawExchange(port: number, request: Buffer, timeoutMs = 10_000, host = '127.0.0.1'): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (outcome: RawOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout', raw: Buffer.concat(chunks).toString('latin1') }), timeoutMs);
    // write, not end: a half-close from the client makes node abort the request it is answering.
    socket.on('connect', () => socket.write(request));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('end', () => finish({ kind: 'response', response: parseResponse(Buffer.concat(chunks).toString('latin1')) }));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after a complete response still counts as the response.
      const raw = Buffer.concat(chunks).toString('latin1');
      if (raw.includes('\r\n\r\n')) finish({ kind: 'response', response: parseResponse(raw) });
      else finish({ kind: 'error', code: error.code ?? error.message });
    });
  });
}

/** Builds request bytes from a request line and header lines (values as UTF-8, unchecked) and a body. */
export function rawRequest(requestLine: string, headers: ReadonlyArray<readonly [string, string]>, body: Buffer | string = ''): Buffer {
  const head = [requestLine, ...headers.map(([name, value]) => `${name}: ${value}`)].join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'utf8'), typeof body === 'string' ? Buffer.from(body, 'utf8') : body]);
}
