// A service with a fixed capacity, for the real-overload test and bench: `slots` calls are served at once, each
// taking `serviceMs` (a timer: the capacity is slots / serviceMs whatever the machine's load), and the rest
// queue in FIFO order in front of the slots, as a thread pool or a database connection pool would make them.
// Every call is a protected operation `work` behind either an adaptive limit (`adaptive`: its settings) or a
// static permit count (`staticLimit`). Answers: POST /work?c=<criticality> 200 or the library's errorResponse
// (503 + Retry-After), POST /capacity?slots=N, GET /stats. Prints {"port":N} once listening.
import http from 'node:http';

const { createProductionSystem, errorResponse } = await import(new URL('../../dist/esm/index.js', import.meta.url).href);
const opts = JSON.parse(process.argv[2] ?? '{}');
let slots = opts.slots ?? 10;
const serviceMs = opts.serviceMs ?? 100;

let busy = 0;
const waiting = [];
function serve() {
  return new Promise((done) => {
    const run = () => {
      busy++;
      setTimeout(() => {
        busy--;
        done();
        next();
      }, serviceMs);
    };
    if (busy < slots) run();
    else waiting.push(run);
  });
}
function next() {
  while (busy < slots && waiting.length > 0) waiting.shift()();
}

const system = createProductionSystem(
  {},
  {
    healthChecks: { enabled: false },
    monitoring: { logLevel: 'critical' },
    errorRecovery: { defaults: { retry: false, circuitBreaker: false, timeoutMs: 0 } },
    resourceLimits: { maxActiveOperations: opts.staticLimit ?? 100_000, permitTimeoutMs: 0 },
    overload: opts.adaptive ? { operations: { work: { concurrency: opts.adaptive } } } : {},
  },
  { env: {} },
);

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/capacity') {
    slots = Number(url.searchParams.get('slots'));
    next();
    res.end('ok');
    return;
  }
  if (url.pathname === '/stats') {
    const limits = system.getSystemStatus().overload?.limits ?? [];
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        limit: limits[0]?.limit ?? opts.staticLimit ?? null,
        inFlight: limits[0]?.inFlight ?? null,
        busy,
        queued: waiting.length,
        slots,
      }),
    );
    return;
  }
  const criticality = url.searchParams.get('c') ?? undefined;
  system
    .executeProtectedOperation('work', undefined, () => serve(), { criticality })
    .then(
      () => res.end('ok'),
      (error) => {
        const { status, headers } = errorResponse(error);
        res.writeHead(status, headers);
        res.end(String(error?.code ?? 'error'));
      },
    );
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void system.shutdown().finally(() => process.exit(0));
});
