'use strict';
// The hello-world server of the real-server bench (bench/cases/http.mjs): one route that awaits a trivial
// async job, CommonJS so a `--require` preload's HTTP instrumentation patches `node:http` before it is loaded.
// `node [preload] server.cjs <bare|protected>`; prints its port on stdout, then answers its parent's IPC:
// `start` begins counting requests and JS-heap bytes allocated (and replies with the monotonic time in µs), `stop` replies with both and the CPU time used, `exit` exits (so
// `--cpu-prof` writes its profile).
const http = require('node:http');
const { allocationMeter } = require('./alloc.cjs');

const mode = process.argv[2] ?? 'bare';
const job = async () => 'hello world\n';
let run = job;
if (mode === 'protected') {
  // The preload made the process-wide system; every request is one protected operation.
  const system = require('../../instrumentation').getProductionSystem();
  run = () => system.executeProtectedOperation('hello', undefined, job);
} else if (mode !== 'bare') {
  throw new Error(`unknown mode ${mode}`);
}

let requests = 0;
const server = http.createServer(async (req, res) => {
  const body = await run();
  requests++;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 60_000;

let meter;
let counted = 0;
let cpu;
process.on('message', (message) => {
  if (message === 'start') {
    counted = requests;
    meter = allocationMeter();
    cpu = process.cpuUsage();
    process.send({ at: Number(process.hrtime.bigint() / 1000n) });
  } else if (message === 'stop') {
    const bytes = meter.stop();
    const used = process.cpuUsage(cpu);
    process.send({ requests: requests - counted, bytes, cpuMicros: used.user + used.system, at: Number(process.hrtime.bigint() / 1000n) });
  } else if (message === 'exit') {
    server.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
