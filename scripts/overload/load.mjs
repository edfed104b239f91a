// An open-loop load generator (another process than the service, as real clients are): sends POST /work at
// `rate` per second for `durationMs`, a `criticalShare` of them as `critical` and the rest as `sheddable`
// (or all with no class when criticalShare is null), each with a client timeout of `timeoutMs`. Prints one
// JSON object: [startMs, latencyMs, status (0 on timeout or error), critical (1/0)] per request.
import http from 'node:http';

const { port, rate, durationMs, criticalShare = null, timeoutMs = 5000 } = JSON.parse(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 2000 });
const records = [];
const pending = new Set();
const t0 = performance.now();

function send(critical) {
  const start = performance.now();
  const c = criticalShare === null ? '' : critical ? '?c=critical' : '?c=sheddable';
  const done = new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: `/work${c}`, method: 'POST', agent, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
    req.end();
  }).then((status) => {
    records.push([Math.round(start - t0), Math.round((performance.now() - start) * 100) / 100, status, critical ? 1 : 0]);
    pending.delete(done);
  });
  pending.add(done);
}

let sent = 0;
let criticalDebt = 0;
const timer = setInterval(() => {
  const elapsed = performance.now() - t0;
  const due = Math.min(Math.floor((Math.min(elapsed, durationMs) * rate) / 1000), Math.floor((durationMs * rate) / 1000));
  while (sent < due) {
    sent++;
    criticalDebt += criticalShare ?? 0;
    const critical = criticalDebt >= 1;
    if (critical) criticalDebt -= 1;
    send(critical);
  }
  if (elapsed >= durationMs) {
    clearInterval(timer);
    void Promise.all(pending).then(() => {
      process.stdout.write(JSON.stringify(records) + '\n');
      agent.destroy();
    });
  }
}, 2);
