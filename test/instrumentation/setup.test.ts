import { mkdtempSync, rmSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';
import { eventually, freePort, spawnProcess } from '../support/helpers.js';
import { childEnv, startService } from './helpers.js';

// Which packages the preload loads for a configuration, what each setup serves, and the metric reader's
// OTEL_METRIC_EXPORT_* settings.

const REPORT = `
  const packages = new Set();
  const ownFiles = [];
  for (const file of Object.keys(require.cache)) {
    const at = file.lastIndexOf('node_modules/');
    if (at < 0) {
      ownFiles.push(require('node:path').relative(process.cwd(), file));
      continue;
    }
    const parts = file.slice(at + 'node_modules/'.length).split('/');
    packages.add(parts[0].startsWith('@') ? parts[0] + '/' + parts[1] : parts[0]);
  }
  const { diag, propagation, trace } = require('@opentelemetry/api');
  diag.error('diag-probe');
  const sampled = trace.getTracer('probe').startSpan('probe').isRecording();
  const compileCacheDir = require('node:module').getCompileCacheDir?.() ?? null;
  console.log('REPORT ' + JSON.stringify({ packages: [...packages], ownFiles, propagationFields: propagation.fields(), sampled, compileCacheDir }));`;

interface Report {
  packages: string[];
  /** Our files the process loaded (the repository's, not under node_modules). */
  ownFiles: string[];
  propagationFields: string[];
  sampled: boolean;
  /** `module.getCompileCacheDir()` (Node 22.1+), null when off or absent. */
  compileCacheDir: string | null;
  stderr: string;
}

async function preloadReport(env: Record<string, string>, preload = './instrumentation'): Promise<Report> {
  const child = spawnProcess(process.execPath, ['--require', preload, '-e', REPORT], {
    env: childEnv({ OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()), ...env }),
  });
  expect((await child.exited).code, child.stderr()).toBe(0);
  const line = child
    .stdout()
    .split('\n')
    .find((l) => l.startsWith('REPORT '));
  expect(line, child.stdout()).toBeDefined();
  return { ...(JSON.parse(line!.slice('REPORT '.length)) as Omit<Report, 'stderr'>), stderr: child.stderr() };
}

const OTLP_EXPORTERS = /^@opentelemetry\/exporter-(trace|logs|metrics)-otlp-/;

describe('the preload loads only what the configuration uses', () => {
  it('with no exporter configured: no Node SDK, no OTLP exporter, no ioredis, but the HTTP instrumentation', async () => {
    const { packages, propagationFields } = await preloadReport({});
    expect(packages).not.toContain('@opentelemetry/sdk-node');
    expect(packages.filter((p) => OTLP_EXPORTERS.test(p))).toEqual([]);
    expect(packages).not.toContain('ioredis');
    expect(packages).toContain('@opentelemetry/instrumentation-http');
    expect(propagationFields).toEqual(expect.arrayContaining(['traceparent', 'baggage']));
  });

  it('with no exporter configured, honours OTEL_TRACES_SAMPLER and OTEL_LOG_LEVEL as the Node SDK does', async () => {
    const quiet = await preloadReport({});
    expect(quiet.sampled).toBe(true);
    expect(quiet.stderr).not.toContain('diag-probe');
    const configured = await preloadReport({ OTEL_TRACES_SAMPLER: 'always_off', OTEL_LOG_LEVEL: 'error' });
    expect(configured.packages).not.toContain('@opentelemetry/sdk-node');
    expect(configured.sampled).toBe(false);
    expect(configured.stderr).toContain('diag-probe');
  });

  it('with OTLP traces and logs: the Node SDK builds them, without gRPC or ioredis', async () => {
    const { packages } = await preloadReport({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
    expect(packages).toContain('@opentelemetry/sdk-node');
    expect(packages).toContain('@opentelemetry/exporter-trace-otlp-http');
    expect(packages).not.toContain('@grpc/grpc-js');
    expect(packages).not.toContain('ioredis');
  });

  it('with propagators beyond W3C: the Node SDK sets them up', async () => {
    const { packages, propagationFields } = await preloadReport({ OTEL_PROPAGATORS: 'b3,tracecontext' });
    expect(packages).toContain('@opentelemetry/sdk-node');
    expect(propagationFields).toEqual(expect.arrayContaining(['b3', 'traceparent']));
  });

  it('with OTEL_SDK_DISABLED=true: neither the Node SDK nor the HTTP instrumentation', async () => {
    const { packages } = await preloadReport({ OTEL_SDK_DISABLED: 'true' });
    expect(packages).not.toContain('@opentelemetry/sdk-node');
    expect(packages).not.toContain('@opentelemetry/instrumentation-http');
  });
});

describe('the preload loads little of its own', () => {
  it('loads our code as a few bundled files (entry and shared chunks), not one module per source file', async () => {
    for (const preload of ['./instrumentation', './dist/cjs/register/index.js']) {
      const { ownFiles, packages } = await preloadReport({}, preload);
      const built = ownFiles.filter((f) => f.startsWith('dist/'));
      expect(built).toContain('dist/cjs/register/index.js');
      expect(built.filter((f) => !f.startsWith('dist/cjs/chunks/') && f !== 'dist/cjs/register/index.js')).toEqual([]);
      expect(built.length).toBeLessThanOrEqual(4);
      // cockatiel's policies and the part of zod our schemas use are compiled into the chunks: neither package loads.
      expect(packages).not.toContain('cockatiel');
      expect(packages).not.toContain('zod');
    }
  });

  it("turns on Node's module compile cache where Node has one (22.1+), and not with NODE_DISABLE_COMPILE_CACHE=1", async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'compile-cache-'));
    try {
      const available = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';
      for (const preload of ['./instrumentation', './dist/cjs/register/index.js']) {
        const on = await preloadReport({ TMPDIR: tmp }, preload);
        // Node adds a folder per version under it.
        if (available) expect(on.compileCacheDir?.startsWith(join(tmp, 'node-compile-cache'))).toBe(true);
        else expect(on.compileCacheDir).toBeNull();
        const off = await preloadReport({ TMPDIR: tmp, NODE_DISABLE_COMPILE_CACHE: '1' }, preload);
        expect(off.compileCacheDir).toBeNull();
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe.each([
  ['embedded providers (nothing exported)', false],
  ['the Node SDK (OTLP configured)', true],
])('the preload on %s', (_name, otlp) => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(() => receiver?.close());

  it('continues an incoming traceparent, records HTTP server metrics and labels target_info with the detected resource', async () => {
    const service = await startService('require', {
      OTEL_SERVICE_NAME: 'kg-setup',
      ...(otlp ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint } : {}),
    });
    try {
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      const res = await fetch(`${service.url}/search?q=ada`, { headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-correlation-id')).toBe(traceId);
      const text = await (await fetch(`${service.adminUrl}/metrics`)).text();
      expect(text).toMatch(/^http_server_(request_)?duration_count\{/m);
      const target = text.split('\n').find((l) => l.startsWith('target_info{'));
      expect(target).toContain('service_name="kg-setup"');
      expect(target).toContain(`process_pid="${service.child.pid}"`);
      expect(target).toMatch(/host_name="[^"]+"/);
      expect(target).toContain('telemetry_sdk_language="nodejs"');
      expect(service.stderr()).toContain(otlp ? `traces: otlp ${receiver.endpoint}/v1/traces` : 'traces: none');
    } finally {
      await service.stop();
    }
  });
});

describe('OTEL_METRICS_EXPORTER=otlp', () => {
  it('exports on OTEL_METRIC_EXPORT_INTERVAL and gives up after OTEL_METRIC_EXPORT_TIMEOUT', async () => {
    // The collector answers metrics after 600 ms: longer than the 150 ms timeout, shorter than the interval.
    const receiver = await startOtlpReceiver({ delayMs: { metrics: 600 } });
    const env = childEnv({
      OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
      OTEL_METRIC_EXPORT_TIMEOUT: '150',
      OTEL_LOG_LEVEL: 'error',
    });
    const child = spawnProcess(process.execPath, ['--require', './instrumentation', '-e', 'setInterval(() => {}, 1000)'], { env });
    try {
      // With the SDK's default interval (60 s) none would arrive in this time.
      await eventually(() => receiver.metricRequests >= 3, { timeoutMs: 15_000, what: 'three metric exports' });
      expect([...receiver.metricNames].filter((name) => name.startsWith('production.'))).not.toEqual([]);
      await eventually(() => child.stderr().includes('metrics export timed out after 150ms'), {
        timeoutMs: 10_000,
        what: 'the export timeout',
      });
    } finally {
      await child.stop();
      await receiver.close();
    }
  });
});
