// A CPU-bound service, for the CPU-overload test and bench: every POST /work burns `chunkMs` of CPU `chunks`
// times with an await of the event loop (setImmediate) between, as a handler that parses, computes and renders
// does, so the queue is the event loop itself and grows with load. Each request is a protected operation
// `work`. `control`: 'off' (no overload control), 'on' (PRODUCTION_OVERLOAD=on, decided in step 5) or 'edge'
// (PRODUCTION_OVERLOAD=on and the node:http edge guard in front of the handler). `lagMs`, when set, replaces the
// loop-lag probe with a constant (a refusal-cost measurement refuses every call). Answers POST /work?c=<class>
// 200 or 503 + Retry-After, GET /stats (CPU time used, overload status). Prints {"port":N} once listening.
import http from 'node:http';

const { createProductionSystem, errorResponse, withOverloadGuard } = await import(new URL('../../dist/esm/index.js', import.meta.url).href);
const opts = JSON.parse(process.argv[2] ?? '{}');
const chunkMs = opts.chunkMs ?? 1.5;
const chunks = opts.chunks ?? 3;
const control = opts.control ?? 'off';

function burn(ms) {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  return x;
}
const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));
async function work() {
  let x = 0;
  for (let i = 0; i < chunks; i++) {
    if (i > 0) await yieldToLoop();
    x += burn(chunkMs);
  }
  return x;
}

const lag = opts.lagMs === undefined ? undefined : { lagMs: () => opts.lagMs, start() {}, stop() {} };
const system = createProductionSystem(
  {},
  {
    healthChecks: { enabled: false },
    monitoring: { logLevel: 'critical' },
    errorRecovery: { defaults: { retry: false, circuitBreaker: false, timeoutMs: 0 } },
    resourceLimits: { maxActiveOperations: 100_000, permitTimeoutMs: 0 },
    ...(opts.overload ? { overload: opts.overload } : {}),
  },
  { env: control === 'off' ? {} : { PRODUCTION_OVERLOAD: 'on' }, ...(lag ? { overload: { loopLag: lag } } : {}) },
);

// With `trace`, one line per 100 ms on stderr: CPU share, the control's judged delay and refused share, and what
// the clients did in that span (requests, refused at the edge, new connections), to see how a load generator's
// arrivals meet the control.
const seen = { requests: 0, refused: 0, connections: 0 };
if (opts.trace) {
  let cpu = process.cpuUsage();
  let at = performance.now();
  setInterval(() => {
    const o = system.getSystemStatus().overload;
    const q = o?.queueDelay;
    const now = performance.now();
    const used = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    const share = (used.user + used.system) / 1000 / (now - at);
    at = now;
    const c = q?.refusalByClass;
    process.stderr.write(
      `${Math.round(now)} cpu=${share.toFixed(2)} d=${q?.queueDelayMs} p=${q?.refusal} req=${seen.requests} 503=${seen.refused} conn=${seen.connections} by=${c ? [c.sheddable, c.sheddablePlus, c.critical, c.criticalPlus].join('/') : '-'}\n`,
    );
    seen.requests = seen.refused = seen.connections = 0;
  }, 100).unref();
}

const classOf = (req) => {
  const url = req.url ?? '';
  return url.endsWith('c=critical') ? 'critical' : url.endsWith('c=sheddable') ? 'sheddable' : undefined;
};

function handle(req, res) {
  if (req.url === '/stats') {
    const cpu = process.cpuUsage();
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ cpuUs: cpu.user + cpu.system, overload: system.getSystemStatus().overload }));
    return;
  }
  system.executeProtectedOperation('work', undefined, work, { criticality: classOf(req) }).then(
    () => res.end('ok'),
    (error) => {
      const { status, headers } = errorResponse(error);
      res.writeHead(status, headers);
      res.end(String(error?.code ?? 'error'));
    },
  );
}

const listener = control === 'edge' ? withOverloadGuard(system, handle, { criticality: classOf }) : handle;
const server = http.createServer((req, res) => {
  if (req.url === '/stats') return handle(req, res);
  seen.requests++;
  listener(req, res);
  if (res.statusCode === 503) seen.refused++;
});
server.on('connection', () => seen.connections++);
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void system.shutdown().finally(() => process.exit(0));
});
