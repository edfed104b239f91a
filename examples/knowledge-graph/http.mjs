// JSON over node:http for the example: body parsing with a size cap, typed errors to HTTP status codes.

/** HTTP status of each production error code; anything else is 500. */
export const STATUS_BY_CODE = {
  RATE_LIMITED: 429,
  SHUTTING_DOWN: 503,
  CIRCUIT_OPEN: 503,
  BULKHEAD_REJECTED: 503,
  OVERLOADED: 503,
  THROTTLED: 503,
  RESOURCE_EXHAUSTED: 503,
  TIMEOUT: 504,
  DEADLINE_EXCEEDED: 504,
  INVALID_CONFIG: 400,
};

const MAX_BODY = 64 * 1024;

/** @param {import('node:http').ServerResponse} res @param {number} status @param {unknown} body @param {Record<string, string>} [headers] */
export function sendJson(res, status, body, headers = {}) {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * Writes `{ error: { code, message, correlationId } }` with the status of the error's code (or its own
 * `status` for the example's input errors), and Retry-After when the error says when to come back.
 * @param {import('node:http').ServerResponse} res @param {any} error @param {string} correlationId
 */
export function sendError(res, error, correlationId) {
  const code = typeof error?.code === 'string' ? error.code : 'INTERNAL';
  const status =
    STATUS_BY_CODE[/** @type {keyof typeof STATUS_BY_CODE} */ (code)] ?? (typeof error?.status === 'number' ? error.status : 500);
  /** @type {Record<string, string>} */
  const headers = {};
  if (typeof error?.retryAfterMs === 'number' && (status === 429 || status === 503))
    headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
  const message = status >= 500 && code === 'INTERNAL' ? 'internal error' : String(error?.message ?? error);
  sendJson(res, status, { error: { code, message, correlationId } }, headers);
}

/** An input error of the HTTP layer. */
export class RequestError extends Error {
  /** @param {string} code @param {number} status @param {string} message */
  constructor(code, status, message) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** Reads a JSON object body of at most 64 KiB. @param {import('node:http').IncomingMessage} req @returns {Promise<Record<string, unknown>>} */
export async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw new RequestError('PAYLOAD_TOO_LARGE', 413, `the body exceeds ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  let value;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new RequestError('BAD_REQUEST', 400, 'the body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new RequestError('BAD_REQUEST', 400, 'the body must be a JSON object');
  return value;
}
