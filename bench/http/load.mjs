// The real-server bench's own load generator, run as its own process: `node load.mjs <port> <connections>
// <seconds>`. Keep-alive HTTP/1.1 over raw sockets, one request in flight per connection (as wrk does), for a
// fixed duration; prints `{"requests":n,"rps":r,"errors":e}`. Raw sockets rather than node:http's client,
// so the generator spends as little of the machine's CPU as it can and the server is what is measured.
import { connect } from 'node:net';

const [port, connections = 32, seconds = 3] = process.argv.slice(2).map(Number);
const REQUEST = Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
const HEADER_END = Buffer.from('\r\n\r\n');
let requests = 0;
let errors = 0;
let running = true;

function open() {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    let pending = Buffer.alloc(0);
    socket.on('connect', () => socket.write(REQUEST));
    socket.on('data', (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      // One response at a time: headers, then the body its content-length announces.
      for (;;) {
        const end = pending.indexOf(HEADER_END);
        if (end < 0) return;
        const head = pending.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        if (!head.startsWith('HTTP/1.1 200')) errors++;
        requests++;
        pending = pending.subarray(end + 4 + length);
        if (running) socket.write(REQUEST);
        else return socket.end();
      }
    });
    socket.on('error', () => errors++);
    socket.on('close', resolve);
  });
}

const start = process.hrtime.bigint();
const closed = Array.from({ length: connections }, open);
setTimeout(() => {
  running = false;
}, seconds * 1000);
const counted = await new Promise((resolve) =>
  setTimeout(() => resolve({ requests, elapsed: Number(process.hrtime.bigint() - start) / 1e9 }), seconds * 1000),
);
await Promise.all(closed);
process.stdout.write(`${JSON.stringify({ requests: counted.requests, rps: Math.round(counted.requests / counted.elapsed), errors })}\n`);
