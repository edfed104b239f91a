import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookPayload } from '../../src/entries/monitoring.js';
import { createProductionSystem, type StandardProductionSystem } from '../../src/index.js';

// Regression (issue 11, finding 8): alerts' generatorURL was hard-coded to http://<hostname>:9464 whatever
// the admin port. It is now the admin server's bound address, unless PRODUCTION_EXTERNAL_URL
// (monitoring.externalUrl) says otherwise.

const systems: StandardProductionSystem<object>[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const s of systems.splice(0)) await s.shutdown();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function webhook(): Promise<{ url: string; payloads: WebhookPayload[] }> {
  const payloads: WebhookPayload[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      payloads.push(JSON.parse(body) as WebhookPayload);
      res.end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, payloads };
}

async function fire(env: NodeJS.ProcessEnv): Promise<{ adminPort: number; payload: WebhookPayload }> {
  const hook = await webhook();
  const system = createProductionSystem(
    {},
    { monitoring: { defaultAlertRules: false, webhook: { url: hook.url } } },
    { env, startHealthChecks: false },
  );
  systems.push(system);
  const { port } = await system.startAdminServer({ port: 0 });
  const monitor = system.components.monitor;
  monitor.addAlertRule({
    name: 'TestAlert',
    metric: 'test.level',
    aggregation: 'value',
    comparison: '>=',
    threshold: 1,
    forMs: 0,
    severity: 'warning',
  });
  monitor.setGauge('test.level', 5);
  await monitor.evaluateAlerts();
  await monitor.notifiersIdle();
  expect(hook.payloads).toHaveLength(1);
  return { adminPort: port, payload: hook.payloads[0]! };
}

describe("alerts' generatorURL", () => {
  it("is the admin server's bound address, whatever its port", async () => {
    const { adminPort, payload } = await fire({});
    expect(adminPort).not.toBe(9464);
    expect(payload.externalURL).toBe(`http://127.0.0.1:${adminPort}`);
    expect(payload.alerts[0]!.generatorURL).toBe(`http://127.0.0.1:${adminPort}/status#alert-TestAlert`);
  });

  it('is PRODUCTION_EXTERNAL_URL when set (behind a proxy, say)', async () => {
    const { payload } = await fire({ PRODUCTION_EXTERNAL_URL: 'https://ops.example.com/svc/' });
    expect(payload.externalURL).toBe('https://ops.example.com/svc/');
    expect(payload.alerts[0]!.generatorURL).toBe('https://ops.example.com/svc/status#alert-TestAlert');
  });
});
