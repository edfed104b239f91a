// An open-loop load generator (another process than the service, as real clients are): sends POST /work at
// `rate` per second for `durationMs` (or, with `schedule`, [durationMs, rate] steps one after another), a
// `criticalShare` of them as `critical` and the rest as `sheddable` (or all with no class when criticalShare is
// null), each with a client timeout of `timeoutMs`. With `closed: N` it is closed-loop instead: N requests
// outstanding at all times, for measuring a capacity. Prints one JSON object: [startMs, latencyMs, status (0 on
// timeout or error), critical (1/0)] per request.
import http from 'node:http';

const { port, rate, durationMs, schedule, closed, criticalShare = null, timeoutMs = 5000 } = JSON.parse(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 2000 });
const records = [];
const pending = new Set();
const t0 = performance.now();
const steps = schedule ?? [[durationMs, rate]];
const totalMs = steps.reduce((n, [ms]) => n + ms, 0);

function send(critical, onDone) {
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
    onDone?.();
  });
  pending.add(done);
}

function finish() {
  void Promise.all(pending).then(() => {
    process.stdout.write(JSON.stringify(records) + '\n');
    agent.destroy();
  });
}

/** Requests due by `elapsed` ms under the schedule. */
function dueBy(elapsed) {
  let due = 0;
  let from = 0;
  for (const [ms, r] of steps) {
    const within = Math.min(Math.max(elapsed - from, 0), ms);
    due += (within * r) / 1000;
    from += ms;
  }
  return Math.floor(due);
}

let criticalDebt = 0;
function nextIsCritical() {
  criticalDebt += criticalShare ?? 0;
  const critical = criticalDebt >= 1;
  if (critical) criticalDebt -= 1;
  return critical;
}

if (closed) {
  const loop = () => {
    if (performance.now() - t0 < totalMs) send(nextIsCritical(), loop);
    else if (pending.size === 0) finish();
  };
  for (let i = 0; i < closed; i++) loop();
} else {
  let sent = 0;
  const timer = setInterval(() => {
    const elapsed = performance.now() - t0;
    const due = dueBy(elapsed);
    while (sent < due) {
      sent++;
      send(nextIsCritical());
    }
    if (elapsed >= totalMs) {
      clearInterval(timer);
      finish();
    }
  }, 2);
}
