import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { eventually, within } from '../support/helpers.js';
import { exitStats, useFixtureService } from './fixture-service.js';

type Outcome = { kind: 'ok' | 'refused' | 'unreachable' | 'broken'; startedAt: number; detail: string };

/**
 * One GET on a fresh connection, classified: 200, 503 SHUTTING_DOWN, never reached the server, or anything else.
 * With a `tag`, the service prints "BEGIN <tag>" once it admitted the call.
 */
function call(port: number, ms: number, tag?: string): Promise<Outcome> {
  const startedAt = Date.now();
  const query = `ms=${ms}&user=u${startedAt % 7}${tag === undefined ? '' : `&tag=${tag}`}`;
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: `/work?${query}`, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('error', (e) => resolve({ kind: 'broken', startedAt, detail: `response error ${e.message}` }));
      res.on('end', () => {
        if (res.statusCode === 200) resolve({ kind: 'ok', startedAt, detail: body });
        else if (res.statusCode === 503 && body.includes('"SHUTTING_DOWN"')) resolve({ kind: 'refused', startedAt, detail: body });
        else resolve({ kind: 'broken', startedAt, detail: `${res.statusCode} ${body}` });
      });
    });
    // Refused or reset before any response: the listener was already closed, the server never saw it.
    req.on('error', (e: NodeJS.ErrnoException) =>
      resolve({
        kind: e.code === 'ECONNREFUSED' || e.code === 'ECONNRESET' ? 'unreachable' : 'broken',
        startedAt,
        detail: `${e.code} ${e.message}`,
      }),
    );
    req.end();
  });
}

const fixture = useFixtureService();

describe('graceful shutdown end to end (child process, OTLP/HTTP receiver)', () => {
  it('drains under steady load on SIGTERM: accepted requests complete, new ones are refused, exit 0, no span lost', async () => {
    const service = await fixture.start({ PRESTOP_MS: '600', DRAIN_MS: '20000' });
    const receiver = fixture.receiver();
    const { port } = service;
    const outcomes: Outcome[] = [];
    let stop = false;
    // Six clients, each sending the next request as soon as the previous one ends, until refused.
    const clients = Array.from({ length: 6 }, async () => {
      while (!stop) {
        const outcome = await call(port, 150);
        outcomes.push(outcome);
        if (outcome.kind !== 'ok') return;
      }
    });
    // Steady load first: the clients have had two dozen answers.
    await eventually(() => outcomes.filter((o) => o.kind === 'ok').length >= 24, {
      what: 'two dozen answers under load',
      details: service.output,
    });
    // A long request still running well into draining, so the other clients meet the closed gate meanwhile.
    const long = call(port, 1000, 'long').then((o) => void outcomes.push(o));
    await service.waitForLine(/^BEGIN long$/);
    const sigtermAt = Date.now();
    service.child.kill('SIGTERM');
    const exit = await within(service.exited, 15_000, 'the service to exit', service.output);
    stop = true;
    await Promise.all([...clients, long]);

    expect(exit, service.output()).toMatchObject({ code: 0, signal: null });
    const stats = exitStats(service.output());
    expect(stats.code).toBe(0);
    const count = (kind: Outcome['kind']) => outcomes.filter((o) => o.kind === kind).length;
    expect(
      outcomes.filter((o) => o.kind === 'broken'),
      'no request failed any other way',
    ).toEqual([]);
    const ok = count('ok');
    const refused = count('refused');
    expect(ok).toBeGreaterThan(20);
    expect(refused, 'new requests were refused with SHUTTING_DOWN').toBeGreaterThan(0);
    // During preStopDelayMs the service kept serving requests that arrived after SIGTERM.
    expect(outcomes.some((o) => o.kind === 'ok' && o.startedAt > sigtermAt + 100)).toBe(true);
    // Every request the service admitted completed with 200; none was abandoned.
    expect(stats.progress).toMatchObject({ phase: 'terminated', forced: false, abandonedRequests: 0, activeRequests: 0 });
    expect(stats.progress.acceptedRequests).toBe(ok);
    expect(stats.progress.drainedRequests as number).toBeGreaterThan(0);

    // The telemetry flush exported every operation span: one per request that ran, one per refusal.
    expect(receiver.problems).toEqual([]);
    const work = receiver.spans.filter((s) => s.name === 'work');
    expect(work.filter((s) => s.attributes['production.outcome'] === 'success')).toHaveLength(ok);
    expect(work.filter((s) => s.attributes['production.outcome'] === 'rejected')).toHaveLength(refused);
    expect(work).toHaveLength(ok + refused);
    const root = receiver.spans.find((s) => s.name === 'shutdown');
    expect(root?.attributes).toMatchObject({ 'production.shutdown.reason': 'SIGTERM', 'production.shutdown.forced': false });
    const phases = receiver.spans.filter((s) => s.parentSpanId === root!.spanId).map((s) => s.name);
    expect(phases.sort()).toEqual(
      ['cleanup_resources', 'finish_active_requests', 'initiate_shutdown', 'save_state', 'stop_accepting_requests'].map(
        (p) => `shutdown.${p}`,
      ),
    );
  }, 40_000);

  it('a second SIGTERM forces the shutdown: abandoned requests, non-zero exit, telemetry still flushed', async () => {
    const service = await fixture.start({ PRESTOP_MS: '0', DRAIN_MS: '20000' });
    const receiver = fixture.receiver();
    const { port } = service;
    const inFlight = Array.from({ length: 4 }, (_, i) => call(port, 10_000, `held-${i}`));
    await eventually(() => service.lines().filter((l) => l.startsWith('BEGIN held-')).length === 4, {
      what: 'the four calls to be admitted',
      details: service.output,
    });
    const draining = service.waitForLine(/^PHASE finish_active_requests /);
    service.child.kill('SIGTERM');
    await draining;
    expect(service.running(), 'still draining after the first SIGTERM').toBe(true);
    const secondAt = Date.now();
    service.child.kill('SIGTERM');
    const exit = await within(service.exited, 8000, 'the service to exit', service.output);
    expect(exit, service.output()).toMatchObject({ code: 1, signal: null });
    expect(exit.at - secondAt).toBeLessThan(5000);
    const stats = exitStats(service.output());
    expect(stats.progress).toMatchObject({ forced: true, abandonedRequests: 4, acceptedRequests: 4 });
    const results = await Promise.all(inFlight);
    expect(results.every((r) => r.kind !== 'ok')).toBe(true);
    expect(receiver.problems).toEqual([]);
    const root = receiver.spans.find((s) => s.name === 'shutdown');
    expect(root?.attributes).toMatchObject({ 'production.shutdown.forced': true, 'production.shutdown.reason': 'SIGTERM' });
  }, 30_000);
});
