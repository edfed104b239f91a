import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  WebhookNotifier,
  AlertmanagerNotifier,
  type AlertNotification,
  type AlertNotifier,
  type WebhookPayload,
} from '../../src/monitoring/index.js';
import { DeliveryQueue } from '../../src/monitoring/alerts/notifier.js';
import { fingerprint } from '../../src/monitoring/alerts/labels.js';
import { freePort } from '../support/helpers.js';

function alert(name: string, status: 'firing' | 'resolved', extra: Record<string, string> = {}): AlertNotification {
  const labels = { alertname: name, severity: 'critical', ...extra };
  return {
    status,
    labels,
    annotations: { summary: `${name} happened` },
    startsAt: '2024-01-01T00:00:00.000Z',
    endsAt: status === 'resolved' ? '2024-01-01T00:05:00.000Z' : '2024-01-01T00:04:00.000Z',
    generatorURL: 'http://127.0.0.1:9464/status#alert-X',
    fingerprint: fingerprint(labels),
  };
}

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const servers: Server[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

describe('DeliveryQueue (fake timers)', () => {
  it('retries with backoff until the receiver accepts', async () => {
    vi.useFakeTimers();
    const calls: number[] = [];
    const notifier: AlertNotifier = {
      name: 'flaky',
      async notify() {
        calls.push(Date.now());
        if (calls.length < 3) throw new Error('receiver down');
      },
    };
    const queue = new DeliveryQueue(notifier, { timeoutMs: 1000, maxRetries: 3, maxQueue: 10, backoffMs: 100 });
    const start = Date.now();
    queue.enqueue([alert('A', 'firing')]);
    await vi.advanceTimersByTimeAsync(1000);
    await queue.idle();
    expect(calls.map((t) => t - start)).toEqual([0, 100, 300]);
    expect(queue.stats()).toMatchObject({ sent: 1, failed: 0, queued: 0, lastError: 'receiver down' });
  });

  it('times out a receiver that never answers, gives up after the retries, and keeps going', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const aborted: boolean[] = [];
    const notifier: AlertNotifier = {
      name: 'stuck',
      notify(_alerts, signal) {
        calls++;
        signal.addEventListener('abort', () => aborted.push(true));
        return new Promise(() => undefined); // never settles, ignores its signal
      },
    };
    const queue = new DeliveryQueue(notifier, { timeoutMs: 500, maxRetries: 1, maxQueue: 10, backoffMs: 100 });
    queue.enqueue([alert('A', 'firing')]);
    queue.enqueue([alert('B', 'firing')]);
    await vi.advanceTimersByTimeAsync(500 + 100 + 500 + 500 + 100 + 500);
    await queue.idle();
    expect(calls).toBe(4);
    expect(aborted).toHaveLength(4);
    expect(queue.stats()).toMatchObject({ sent: 0, failed: 2, queued: 0, lastError: 'stuck timed out after 500 ms' });
  });

  it('bounds the queue: the oldest alerts are dropped and counted while the receiver is stuck', async () => {
    vi.useFakeTimers();
    const notifier: AlertNotifier = { name: 'slow', notify: () => new Promise(() => undefined) };
    const queue = new DeliveryQueue(notifier, { timeoutMs: 10_000, maxRetries: 0, maxQueue: 5, backoffMs: 100 });
    for (let i = 0; i < 100; i++) queue.enqueue([alert(`A${i}`, 'firing')]);
    // One batch in flight, five waiting, the other 94 dropped.
    expect(queue.stats()).toMatchObject({ inFlight: 1, queued: 5, dropped: 94 });
    await queue.close(0);
    expect(queue.stats()).toMatchObject({ queued: 0, dropped: 99 });
  });
});

describe('HTTP receivers', () => {
  it('posts the Alertmanager webhook payload, version 4', async () => {
    const bodies: WebhookPayload[] = [];
    const { server, url } = await listen((req, res, body) => {
      expect(req.method).toBe('POST');
      expect(req.headers['content-type']).toBe('application/json');
      bodies.push(JSON.parse(body) as WebhookPayload);
      res.end('ok');
    });
    servers.push(server);
    const queue = new DeliveryQueue(new WebhookNotifier(`${url}/hook`, 'http://127.0.0.1:9464', 'ops'), {
      timeoutMs: 2000,
      maxRetries: 0,
      maxQueue: 10,
    });
    queue.enqueue([alert('HighErrors', 'firing', { op: 'a' }), alert('HighErrors', 'resolved', { op: 'b' }), alert('Other', 'resolved')]);
    await queue.idle();
    expect(bodies).toHaveLength(2);
    const [first, second] = bodies;
    expect(Object.keys(first!).sort()).toEqual([
      'alerts',
      'commonAnnotations',
      'commonLabels',
      'externalURL',
      'groupKey',
      'groupLabels',
      'receiver',
      'status',
      'truncatedAlerts',
      'version',
    ]);
    expect(first).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'ops',
      groupKey: '{}:{alertname="HighErrors"}',
      truncatedAlerts: 0,
      groupLabels: { alertname: 'HighErrors' },
      commonLabels: { alertname: 'HighErrors', severity: 'critical' },
      commonAnnotations: { summary: 'HighErrors happened' },
      externalURL: 'http://127.0.0.1:9464',
    });
    expect(Object.keys(first!.alerts[0]!).sort()).toEqual([
      'annotations',
      'endsAt',
      'fingerprint',
      'generatorURL',
      'labels',
      'startsAt',
      'status',
    ]);
    expect(first!.alerts[0]).toMatchObject({
      status: 'firing',
      endsAt: '0001-01-01T00:00:00Z',
      fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(first!.alerts[1]).toMatchObject({ status: 'resolved', endsAt: '2024-01-01T00:05:00.000Z' });
    expect(second).toMatchObject({ status: 'resolved', groupLabels: { alertname: 'Other' } });
  });

  it('counts a receiver that is down as failed after its retries', async () => {
    const port = await freePort(); // nothing listens there
    const queue = new DeliveryQueue(new AlertmanagerNotifier(`http://127.0.0.1:${port}`), {
      timeoutMs: 2000,
      maxRetries: 2,
      maxQueue: 10,
      backoffMs: 10,
    });
    queue.enqueue([alert('A', 'firing')]);
    await queue.idle();
    expect(queue.stats()).toMatchObject({ sent: 0, failed: 1 });
    expect(queue.stats().lastError).toMatch(/fetch failed|ECONNREFUSED/);
  });

  it('times out a slow receiver and retries a 5xx answer', async () => {
    let requests = 0;
    const { server, url } = await listen((_req, res) => {
      requests++;
      if (requests === 1) return; // hang: never answers
      if (requests === 2) {
        res.statusCode = 503;
        return res.end('busy');
      }
      res.end('ok');
    });
    servers.push(server);
    const queue = new DeliveryQueue(new AlertmanagerNotifier(url), { timeoutMs: 200, maxRetries: 3, maxQueue: 10, backoffMs: 10 });
    queue.enqueue([alert('A', 'firing')]);
    await queue.idle();
    expect(requests).toBe(3);
    expect(queue.stats()).toMatchObject({ sent: 1, failed: 0 });
    expect(queue.stats().lastError).toMatch(/answered 503: busy/);
  });

  it('computes Alertmanager fingerprints independent of label order', () => {
    expect(fingerprint({ a: '1', b: '2' })).toBe(fingerprint({ b: '2', a: '1' }));
    expect(fingerprint({ a: '1' })).not.toBe(fingerprint({ a: '2' }));
    // FNV-1a 64 of the empty label set is the offset basis.
    expect(fingerprint({})).toBe('cbf29ce484222325');
  });
});
