import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freePort, requireBinary, spawnProcess } from '../support/helpers.js';
import { childEnv, startService, type Service } from './helpers.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';

const SPAN_KIND_SERVER = 2;
const FAST_EXPORT = { OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_BLRP_SCHEDULE_DELAY: '100', PRODUCTION_DEFAULT_MAX_RETRIES: '1' };

describe('the preload with --require, exporting to an OTLP/HTTP receiver', () => {
  let receiver: OtlpReceiver;
  let service: Service;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    service = await startService('require', {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_SERVICE_NAME: 'kg-test',
      ...FAST_EXPORT,
    });
  });
  afterAll(async () => {
    await service?.stop();
    await receiver?.close();
  });

  it('makes the incoming request the parent of the operation span, with correlation and user IDs, and logs in the same trace', async () => {
    const faults = await fetch(`${service.url}/admin/faults`, {
      method: 'POST',
      body: JSON.stringify({ route: 'graph.entity.get', errorRate: 1 }),
    });
    expect(faults.status).toBe(200);
    const res = await fetch(`${service.url}/entities/ada`, { headers: { 'x-user-id': 'alice', 'x-correlation-id': 'corr-123' } });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { correlationId: string } }).error.correlationId).toBe('corr-123');

    const op = await eventually(() => receiver.spans.find((s) => s.name === 'graph.entity.get'), {
      timeoutMs: 10_000,
      what: 'the operation span',
    });
    const server = receiver.spans.find((s) => s.spanId === op.parentSpanId);
    expect(server, `spans: ${JSON.stringify(receiver.spans.map((s) => s.name))}`).toBeDefined();
    expect(server!.kind).toBe(SPAN_KIND_SERVER);
    // The preload's lean server instrumentation: the stable HTTP semantic conventions, as instrumentation-http's.
    expect(server!.name).toBe('GET');
    expect(server!.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/entities/ada',
      'http.response.status_code': 500,
    });
    expect(server!.parentSpanId).toBe('');
    expect(server!.traceId).toBe(op.traceId);
    expect(op.attributes['production.correlation_id']).toBe('corr-123');
    expect(op.attributes['user.id']).toBe('alice');
    expect(op.attributes['production.outcome']).toBe('error');
    expect(new Set(receiver.spans.filter((s) => s.attributes['production.correlation_id'] === 'corr-123').map((s) => s.traceId)).size).toBe(
      1,
    );

    const log = await eventually(() => receiver.logs.find((l) => l.traceId === op.traceId), {
      timeoutMs: 10_000,
      what: 'a log record of the failed operation',
    });
    expect(log.attributes['production.correlation_id']).toBe('corr-123');
    expect(receiver.problems).toEqual([]);
  });

  it('continues an incoming W3C traceparent', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(`${service.url}/search?q=tur`, {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, 'x-user-id': 'bob' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-correlation-id')).toBe(traceId);
    const op = await eventually(() => receiver.spans.find((s) => s.name === 'graph.search' && s.traceId === traceId), {
      timeoutMs: 10_000,
      what: 'the search span',
    });
    const server = receiver.spans.find((s) => s.spanId === op.parentSpanId);
    expect(server?.parentSpanId).toBe('00f067aa0ba902b7');
    expect(op.attributes['user.id']).toBe('bob');
  });

  it('keeps recent operation traces for the status page', async () => {
    const res = await fetch(`${service.url}/search?q=ada`, { headers: { 'x-user-id': 'carol' } });
    expect(res.status).toBe(200);
    type Doc = { traces: { attached: boolean; recent: Array<{ operation: string; traceId: string }> } };
    const doc = (await (await fetch(`${service.adminUrl}/status.json`)).json()) as Doc;
    expect(doc.traces.attached).toBe(true);
    expect(doc.traces.recent.some((t) => t.operation === 'graph.search')).toBe(true);
  });
});

describe('the preload with --import', () => {
  it('starts the service, serves /metrics that pass promtool check metrics, and says where the admin routes are', async () => {
    const promtool = requireBinary('/usr/bin/promtool', 'prometheus');
    const service = await startService('import');
    try {
      expect((await fetch(`${service.url}/search?q=ada`)).status).toBe(200);
      expect((await fetch(`${service.adminUrl}/readyz`)).status).toBe(200);
      const text = await (await fetch(`${service.adminUrl}/metrics`)).text();
      expect(text).toMatch(/^production_operation_duration_count\{production_operation_name="graph\.search",production_outcome="success"/m);
      const check = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
      const banner = await eventually(
        () =>
          service
            .stderr()
            .split('\n')
            .find((l) => l.includes('/metrics')),
        { timeoutMs: 5000, what: 'the banner' },
      );
      expect(banner).toContain(`${service.adminUrl}/readyz`);
      expect(banner).toContain(`${service.adminUrl}/status`);
    } finally {
      await service.stop();
    }
  });
});

describe('start-up', () => {
  it('with no OTEL/PRODUCTION variables prints one line on stderr, logs JSON lines on stdout and lets a script exit', async () => {
    // Only the admin port is set, so parallel runs cannot collide on 9464.
    const child = spawnProcess(process.execPath, ['--require', './instrumentation', '-e', 'setTimeout(() => {}, 300)'], {
      env: childEnv({ OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()) }),
    });
    expect((await child.exited).code).toBe(0);
    const lines = child.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/\/metrics.*\/readyz.*\/status/);
    for (const line of child.stdout().split('\n').filter(Boolean)) expect((): unknown => JSON.parse(line)).not.toThrow();
  });

  it('a second service on the same admin port stops with a hint that works under the preload, not admin.port', async () => {
    // Issue 21, finding 8: the hint said "set admin.port", which the preload does not read.
    const adminPort = String(await freePort());
    const first = spawnProcess(process.execPath, ['--require', './instrumentation', '-e', 'setTimeout(() => {}, 20000)'], {
      env: childEnv({ OTEL_EXPORTER_PROMETHEUS_PORT: adminPort }),
    });
    try {
      await eventually(() => (first.stderr().includes('/status are up') ? true : undefined), {
        timeoutMs: 15_000,
        what: 'first admin server',
      });
      const second = spawnProcess(process.execPath, ['--require', './instrumentation', '-e', 'setTimeout(() => {}, 10000)'], {
        env: childEnv({ OTEL_EXPORTER_PROMETHEUS_PORT: adminPort }),
      });
      expect((await second.exited).code).toBe(1);
      const stderr = second.stderr();
      expect(stderr).toContain('already in use');
      expect(stderr).toContain('OTEL_EXPORTER_PROMETHEUS_PORT');
      expect(stderr).not.toContain('admin.port');
    } finally {
      await first.stop();
    }
  });

  it('warns once at start about a misspelled PRODUCTION_* variable, naming the closest setting', async () => {
    const child = spawnProcess(process.execPath, ['--require', './instrumentation', '-e', 'setTimeout(() => {}, 300)'], {
      env: childEnv({ OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()), PRODUCTION_DEFUALT_TIMEOUT_MS: '500' }),
    });
    expect((await child.exited).code).toBe(0);
    const warnings = child
      .stdout()
      .split('\n')
      .filter((line) => line.includes('PRODUCTION_DEFUALT_TIMEOUT_MS'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('did you mean PRODUCTION_DEFAULT_TIMEOUT_MS?');
  });

  it.each([
    ['--require', './instrumentation', 'OTEL_EXPORTER_PROMETHEUS_PORT', 'abc'],
    ['--require', './instrumentation', 'OTEL_TRACES_EXPORTER', 'zipkin'],
    ['--require', './instrumentation', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'not a url'],
    ['--require', './instrumentation', 'PRODUCTION_LOG_LEVEL', 'loud'],
    ['--import', './instrumentation/register.mjs', 'OTEL_TRACES_SAMPLER', 'sometimes'],
    ['--import', './instrumentation/register.mjs', 'PRODUCTION_MAX_ACTIVE_OPERATIONS', 'many'],
  ])('%s %s stops start-up on a bad %s, naming it', async (flag, path, name, value) => {
    const child = spawnProcess(process.execPath, [flag, path, '-e', 'setTimeout(() => {}, 10000)'], {
      env: childEnv({ OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()), [name]: value }),
    });
    expect((await child.exited).code).toBe(1);
    expect(child.stderr()).toContain(name);
    expect(child.stderr()).toMatch(/start-up stopped: Invalid config/);
  });
});

describe('with no collector running', () => {
  it('keeps serving, reports each failing exporter once and counts the failures', async () => {
    const closed = await freePort();
    const service = await startService('require', {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closed}`,
      OTEL_EXPORTER_OTLP_TIMEOUT: '300',
      ...FAST_EXPORT,
    });
    try {
      const failedSpans = async (): Promise<number> => {
        const text = await (await fetch(`${service.adminUrl}/metrics`)).text();
        const line = text.split('\n').find((l) => l.startsWith('otel_sdk_exporter_span_exported_total{') && l.includes('error_type='));
        return line === undefined ? 0 : Number(line.split(' ').pop());
      };
      // Requests spread over time, so several export batches fail.
      await eventually(
        async () => {
          expect((await fetch(`${service.url}/search?q=tur`)).status).toBe(200);
          return (await failedSpans()) >= 3;
        },
        { timeoutMs: 20_000, what: 'three failed span exports' },
      );
      const reports = (kind: string) =>
        service
          .stderr()
          .split('\n')
          .filter((l) => l.includes(`${kind} export to`)).length;
      expect(reports('span')).toBe(1);
      await eventually(() => reports('log') >= 1, { timeoutMs: 10_000, what: 'the log exporter report' });
      expect(reports('log')).toBe(1);
      expect(service.stderr()).toContain(`http://127.0.0.1:${closed}/v1/traces`);
    } finally {
      await service.stop();
    }
  });
});
