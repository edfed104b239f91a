// The example service: a knowledge graph behind a JSON API on node:http, every request one protected
// operation. Run it under the preload: `node --import ./instrumentation/register.mjs examples/knowledge-graph/server.mjs`
// (`npm start`; as an ES module it takes the `--import` form, which loads the build it imports). Importing the
// preload's module first also starts it when the flag was left out.
import { getProductionSystem, attachEngine } from '@llmkg/production/register';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { context, propagation, trace } from '@opentelemetry/api';
import { createServerCloseHandler } from '@llmkg/production';
import { correlationIdFromHeaders, isValidCorrelationId } from '@llmkg/production/http';
import { KnowledgeGraph, GraphInputError } from './engine.mjs';
import { FaultInjector } from './faults.mjs';
import { readJson, RequestError, sendError, sendJson } from './http.mjs';
import { seedGraph } from './seed.mjs';

const CHECKPOINT = 'knowledge_graph';
const env = process.env;

function fatal(message) {
  process.stderr.write(`[knowledge-graph] ${message}\n`);
  process.exit(1);
}

const port = env.PORT === undefined || env.PORT === '' ? 3000 : Number(env.PORT);
if (!Number.isInteger(port) || port < 0 || port > 65535) fatal(`PORT must be an integer from 0 to 65535, got "${env.PORT}"`);
const host = env.HOST || '127.0.0.1';

const graph = new KnowledgeGraph({
  ...(env.KG_MAX_ENTITIES ? { maxEntities: Number(env.KG_MAX_ENTITIES) } : {}),
  ...(env.KG_MAX_RELATIONS ? { maxRelations: Number(env.KG_MAX_RELATIONS) } : {}),
});
/** Operation names: low cardinality, one per route. */
const OPS = [
  'graph.entity.create',
  'graph.entity.get',
  'graph.relation.create',
  'graph.neighbours',
  'graph.path',
  'graph.search',
  'graph.stats',
  'admin.faults',
];
let faults;
try {
  faults = new FaultInjector(env, Math.random, OPS);
} catch (error) {
  fatal(String(error.message));
}
const system = attachEngine(graph) ?? getProductionSystem();
const { shutdown, recovery, monitor } = system.components;

// Input errors are the caller's fault: no retry, no breaker failure.
const isInput = (error) => error instanceof GraphInputError || error instanceof RequestError || error?.code === 'INVALID_CONFIG';
const notInput = (error) => !isInput(error);
/** Carries a 4xx error out of a protected operation that itself succeeded. */
class ClientError {
  constructor(error) {
    this.error = error;
  }
}
for (const op of OPS) system.configureOperation(op, { retry: { retryOn: notInput }, circuitBreaker: { failureOn: notInput } });

let breakerOpenings = 0;
recovery.onBreakerTransition((event) => {
  if (event.to === 'open') breakerOpenings++;
});

if (/^(1|true)$/i.test(env.KG_FAST_ALERTS ?? '')) {
  // Shorter windows so a one-minute demo sees the default alerts fire; same names replace the defaults.
  monitor.addAlertRule({
    name: 'ProductionHighErrorRate',
    metric: 'production.operation.duration',
    match: { 'production.outcome': 'error' },
    aggregation: 'ratio',
    denominator: { match: {} },
    windowMs: 30_000,
    groupBy: ['production.operation.name'],
    comparison: '>',
    threshold: 0.05,
    forMs: 5_000,
    severity: 'critical',
    annotations: { summary: 'High error rate on {{ $labels.production_operation_name }}' },
  });
  monitor.addAlertRule({
    name: 'ProductionCircuitOpen',
    metric: 'production.circuit_breaker.state',
    match: { state: 'open' },
    aggregation: 'value',
    groupBy: ['production.operation.name'],
    comparison: '>=',
    threshold: 1,
    forMs: 5_000,
    severity: 'critical',
    annotations: { summary: 'Circuit breaker open on {{ $labels.production_operation_name }}' },
  });
}

/**
 * The request's correlation ID by the library's rules (a valid `x-correlation-id`, else a valid baggage
 * `correlation_id`, else the trace ID), so it is safe to write into the response header. Values from outside
 * that are not valid are ignored here; the system counts them when it sees them in `options.correlationId`.
 * @param {import('node:http').IncomingMessage} req
 */
function correlationOf(req) {
  const header = correlationIdFromHeaders(req.headers);
  if (header !== undefined) return header;
  const active = context.active();
  const fromBaggage = propagation.getBaggage(active)?.getEntry('correlation_id')?.value;
  if (isValidCorrelationId(fromBaggage)) return fromBaggage;
  const span = trace.getSpanContext(active);
  return span && trace.isSpanContextValid(span) ? span.traceId : randomUUID();
}

/** `decodeURIComponent` of a path segment; a malformed escape is the caller's mistake (400). @param {string} segment */
function segment(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new RequestError('BAD_REQUEST', 400, 'the path holds a malformed percent-escape');
  }
}

const found = (value, what) => {
  if (value === undefined) throw new GraphInputError('NOT_FOUND', 404, `${what} not found`);
  return value;
};
/** A query parameter the route cannot do without: missing or empty is the caller's mistake (400). @param {URL} url @param {string} name */
function requiredParam(url, name) {
  const value = url.searchParams.get(name);
  if (value === null || value === '') throw new RequestError('BAD_REQUEST', 400, `the query parameter "${name}" is required`);
  return value;
}
const limitOf = (url) => Math.min(Math.max(Number(url.searchParams.get('limit') ?? 20) || 20, 1), 200);

/** Routes: [method, pattern, operation name, idempotent, handler(match, url, body)]. */
const ROUTES = [
  ['POST', /^\/entities$/, 'graph.entity.create', false, (_m, _u, body) => graph.addEntity(body)],
  ['GET', /^\/entities\/([^/]+)$/, 'graph.entity.get', true, (m) => found(graph.getEntity(segment(m[1])), 'entity')],
  ['POST', /^\/relations$/, 'graph.relation.create', false, (_m, _u, body) => graph.addRelation(body)],
  [
    'GET',
    /^\/entities\/([^/]+)\/neighbours$/,
    'graph.neighbours',
    true,
    (m, url) => ({
      neighbours: found(
        graph.neighbours(segment(m[1]), { type: url.searchParams.get('type') ?? undefined, limit: limitOf(url) }),
        'entity',
      ),
    }),
  ],
  [
    'GET',
    /^\/path$/,
    'graph.path',
    true,
    (_m, url) => {
      const result = graph.shortestPath(
        requiredParam(url, 'from'),
        requiredParam(url, 'to'),
        Math.min(Number(url.searchParams.get('maxDepth') ?? 6) || 6, 10),
      );
      return result === null ? { path: null, relations: [] } : found(result, 'entity');
    },
  ],
  ['GET', /^\/search$/, 'graph.search', true, (_m, url) => ({ results: graph.search(url.searchParams.get('q') ?? '', limitOf(url)) })],
  [
    'GET',
    /^\/stats$/,
    'graph.stats',
    true,
    () => ({ graph: graph.stats(), service: { breaker_openings: breakerOpenings, faults: faults.list() } }),
  ],
  ['POST', /^\/admin\/faults$/, 'admin.faults', false, (_m, _u, body) => ({ faults: faults.configure(body) })],
  ['GET', /^\/admin\/faults$/, 'admin.faults', true, () => ({ faults: faults.list() })],
];

/**
 * What `GET /` answers: every route with a curl example that works on the seeded graph (run in this order:
 * the relation example uses the entity the first example creates).
 */
const EXAMPLES = [
  {
    method: 'POST',
    path: '/entities',
    description: 'create an entity (id optional)',
    body: { id: 'notes', name: 'Notes on the Analytical Engine', type: 'Book' },
  },
  { method: 'GET', path: '/entities/ada', description: 'one entity by id' },
  { method: 'POST', path: '/relations', description: 'relate two entities', body: { from: 'ada', to: 'notes', type: 'wrote' } },
  { method: 'GET', path: '/entities/ada/neighbours?limit=20', description: 'neighbours of an entity (optional type, limit up to 200)' },
  {
    method: 'GET',
    path: '/path?from=ada&to=babbage',
    description: 'shortest path between two entities (from and to required, maxDepth up to 10)',
  },
  { method: 'GET', path: '/search?q=turing', description: 'search entities by name' },
  { method: 'GET', path: '/stats', description: 'graph size, breaker openings and faults' },
  {
    method: 'POST',
    path: '/admin/faults',
    description: `inject faults into one route (an operation: ${OPS.join(', ')}; or *); both zero clears it`,
    body: { route: 'graph.search', errorRate: 0.5, latencyMs: 200 },
  },
  { method: 'GET', path: '/admin/faults', description: 'the faults now injected' },
];

/** The route index with curl examples against `base`. @param {string} base */
function routeIndex(base) {
  return {
    service: 'knowledge-graph',
    note: 'x-user-id names the caller for the per-user rate limit; x-correlation-id is echoed back',
    routes: EXAMPLES.map(({ method, path, description, body }) => ({
      method,
      path: path.split('?')[0].replace('/ada', '/{id}'),
      description,
      ...(body === undefined ? {} : { body }),
      curl:
        body === undefined
          ? `curl -s '${base}${path}' -H 'x-user-id: alice'`
          : `curl -s -X ${method} '${base}${path}' -H 'x-user-id: alice' -H 'content-type: application/json' -d '${JSON.stringify(body)}'`,
    })),
  };
}

/** @param {string | undefined} raw */
function parseUrl(raw) {
  try {
    return new URL(raw ?? '/', 'http://localhost');
  } catch {
    throw new RequestError('BAD_REQUEST', 400, 'the request target is not a valid URL');
  }
}

/**
 * One request, end to end. Nothing escapes: whatever the request holds, the answer is a response (4xx for
 * the caller's mistakes), never a thrown error in a callback that would end the process.
 * @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res
 */
async function handle(req, res) {
  let correlationId = '';
  try {
    correlationId = correlationOf(req);
    res.setHeader('x-correlation-id', correlationId);
    const url = parseUrl(req.url);
    let route;
    let match;
    for (const r of ROUTES) {
      if (r[0] === req.method && (match = r[1].exec(url.pathname))) {
        route = r;
        break;
      }
    }
    if (req.method === 'GET' && url.pathname === '/') {
      sendJson(res, 200, routeIndex(baseUrl));
      return;
    }
    if (route === undefined)
      throw new RequestError('NOT_FOUND', 404, `no route for ${req.method} ${url.pathname} (GET / lists the routes)`);
    const userHeader = req.headers['x-user-id'];
    const userId = typeof userHeader === 'string' && userHeader !== '' ? userHeader.slice(0, 128) : undefined;
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    const [, , operation, idempotent, run] = route;
    const value = await system.executeProtectedOperation(
      operation,
      userId,
      async (ctx) => {
        await faults.apply(operation, ctx.signal);
        try {
          return run(match, url, body);
        } catch (error) {
          // A caller's mistake (a bad field, a malformed escape in the path) is an answer, not a failure of the
          // service: it must not feed error-rate alerts nor open the breaker.
          if (isInput(error)) return new ClientError(error);
          throw error;
        }
      },
      // The raw header: the system validates it (and counts a refusal) and falls back as correlationOf did.
      { correlationId: req.headers['x-correlation-id'], idempotent },
    );
    if (value instanceof ClientError) throw value.error;
    sendJson(res, req.method === 'POST' && operation !== 'admin.faults' ? 201 : 200, value);
  } catch (error) {
    try {
      sendError(res, error, correlationId);
    } catch (writeError) {
      res.destroy(writeError instanceof Error ? writeError : undefined);
    }
  }
}

let baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
const server = createServer((req, res) => void handle(req, res));
server.keepAliveTimeout = 5000;

shutdown.registerHandler(CHECKPOINT, { saveState: () => graph.exportState() });
shutdown.registerHandler('http_server', createServerCloseHandler(server));

const checkpoint = await shutdown.loadLatestCheckpoint(CHECKPOINT);
let restored = '';
if (checkpoint !== undefined) {
  try {
    const loaded = graph.importState(checkpoint.state);
    restored = ` (restored ${loaded.entities} entities and ${loaded.relations} relations from the checkpoint of ${new Date(checkpoint.timestamp ?? Date.now()).toISOString()})`;
  } catch (error) {
    monitor.log('error', 'knowledge_graph', 'restore', `Could not restore the graph checkpoint: ${error.message}`);
  }
} else if (!/^(0|false)$/i.test(env.KG_SEED ?? '')) {
  seedGraph(graph);
}

const onListenError = (error) => fatal(`cannot listen on ${host}:${port}: ${error.message}`);
server.once('error', onListenError);
server.listen(port, host, () => {
  // Once serving, a server error (EMFILE from accept with the file table full) is logged, not fatal.
  server.off('error', onListenError);
  server.on('error', (error) => monitor.log('error', 'knowledge_graph', 'http_server', `HTTP server error: ${error.message}`));
  const address = server.address();
  const shown = typeof address === 'object' && address ? address.port : port;
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${shown}`;
  process.stderr.write(`[knowledge-graph] ${baseUrl} is serving the graph API${restored} (GET ${baseUrl}/ lists the routes)\n`);
});
