// What the lean server and client instrumentations share from the stable HTTP semantic conventions: the method
// set, the duration histogram's buckets, and the query parameters whose values are credentials.

const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'QUERY', 'TRACE']);

/** The buckets the semantic conventions advise for `http.server.request.duration` and `http.client.request.duration`. */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** `http.request.method`: a known method as sent (or upper-cased), anything else `_OTHER`. */
export function normalizeMethod(method: string | undefined): string {
  if (method === undefined) return 'GET';
  if (KNOWN_METHODS.has(method)) return method;
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

/** Query parameters whose values carry credentials (signed URLs); their values are recorded as `REDACTED`. */
const SIGNED_PARAMS = [
  'sig',
  'Signature',
  'AWSAccessKeyId',
  'X-Goog-Signature',
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
];

/** True when a URL or query may hold one of the credential parameters (a cheap test before parsing the query). */
export const SIGNED_QUERY = new RegExp(`(?:^|[?&])(${SIGNED_PARAMS.join('|')})=`);

/** `query` (without its `?`) with the values of credential-carrying parameters replaced by `REDACTED`. */
export function redactQuery(query: string): string {
  const params = new URLSearchParams(query);
  for (const name of SIGNED_PARAMS) if (params.has(name)) params.set(name, 'REDACTED');
  return params.toString();
}
