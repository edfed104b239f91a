import { channel } from 'node:diagnostics_channel';
import { createHook } from 'node:async_hooks';
const url = `http://127.0.0.1:${(await import('node:fs')).readFileSync('/tmp/i23b/port', 'utf8')}/`;
function ns(fn, n = 20000) { for (let i = 0; i < n; i++) fn(); let best = Infinity; for (let r = 0; r < 7; r++) { const s = process.hrtime.bigint(); for (let i = 0; i < n; i++) fn(); best = Math.min(best, Number(process.hrtime.bigint() - s) / n); } return Math.round(best); }
// promises per fetch
let promises = 0;
const hook = createHook({ init(id, type) { if (type === 'PROMISE') promises++; } });
for (let i = 0; i < 50; i++) await (await fetch(url)).arrayBuffer();
hook.enable(); promises = 0;
for (let i = 0; i < 100; i++) await (await fetch(url)).arrayBuffer();
hook.disable();
const perFetch = promises / 100;
const { createProductionSystem } = await import('../dist/esm/index.js');
const { undiciInstrumentation, leanUndiciInstrumentation } = await import('../dist/esm/sdk/index.js');
const system = createProductionSystem({}, { healthChecks: { enabled: false }, monitoring: { defaultAlertRules: false }, dependencies: { local: { retryBudget: {}, throttle: {} } } }, { env: {}, startHealthChecks: false });
const create = channel('undici:request:create'), headers = channel('undici:request:headers'), trailers = channel('undici:request:trailers');
const exchange = () => {
  const request = { origin: 'http://127.0.0.1:8080', path: '/items?q=1', method: 'GET', headers: ['user-agent', 'node', 'accept', '*/*'], addHeader(k, v) { this.headers.push(k, v); return this; } };
  create.publish({ request }); headers.publish({ request, response: { statusCode: 200, headers: [] } }); trailers.publish({ request, trailers: [] });
};
const none = ns(exchange);
const lean = leanUndiciInstrumentation(); lean.enable();
const leanNs = ns(exchange) - none; lean.disable();
const official = undiciInstrumentation(); official.enable();
const officialNs = ns(exchange) - none; official.disable();
const op = async () => undefined;
async function nsA(fn, n = 5000) { for (let i = 0; i < n; i++) await fn(); let best = Infinity; for (let r = 0; r < 7; r++) { const s = process.hrtime.bigint(); for (let i = 0; i < n; i++) await fn(); best = Math.min(best, Number(process.hrtime.bigint() - s) / n); } return Math.round(best); }
const protectedNs = await nsA(() => system.executeProtectedOperation('local', undefined, op, { deadlineMs: 5000 }));
const protectedSignalNs = await nsA(() => system.executeProtectedOperation('local', undefined, async (ctx) => ctx.signal, { deadlineMs: 5000 }));
const reqNs = ns(() => new Request(url), 5000);
const reqSignalNs = ns(() => new Request(url, { signal: new AbortController().signal }), 5000);
console.log(JSON.stringify({ node: process.version, promises_per_fetch: perFetch, lean_handlers_ns: leanNs, official_handlers_ns: officialNs, protected_op_ns: protectedNs, protected_op_reading_signal_ns: protectedSignalNs, request_ns: reqNs, request_with_signal_ns: reqSignalNs }));
await system.shutdown();
