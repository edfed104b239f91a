import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { MeterProvider, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import {
  ExpositionWriter,
  negotiateExpositionFormat,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  ProductionMetricReader,
} from '../../src/sdk/index.js';
import { requireBinary } from '../support/helpers.js';

describe('content negotiation of /metrics', () => {
  const cases: [string | undefined, string][] = [
    // Prometheus 2.42's scrape header, and Prometheus 3's default one: OpenMetrics first.
    [
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      OPENMETRICS_CONTENT_TYPE,
    ],
    [
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
      OPENMETRICS_CONTENT_TYPE,
    ],
    ['application/openmetrics-text', OPENMETRICS_CONTENT_TYPE],
    ['Application/OpenMetrics-Text; Version="1.0.0"', OPENMETRICS_CONTENT_TYPE],
    ['application/openmetrics-text; version=0.0.1', 'application/openmetrics-text; version=0.0.1; charset=utf-8'],
    // No header, the text format asked for, or preferred by q-value: 0.0.4.
    [undefined, PROMETHEUS_CONTENT_TYPE],
    ['', PROMETHEUS_CONTENT_TYPE],
    ['text/plain;version=0.0.4', PROMETHEUS_CONTENT_TYPE],
    ['text/plain;version=0.0.4;q=0.9, application/openmetrics-text;q=0.5', PROMETHEUS_CONTENT_TYPE],
    ['application/openmetrics-text;q=0.5, text/plain;q=0.5', OPENMETRICS_CONTENT_TYPE],
    ['text/plain;q=0.5, application/openmetrics-text;q=0.5', PROMETHEUS_CONTENT_TYPE],
    // Not acceptable or not understood: q=0, a malformed q, an unknown version, wildcards, garbage.
    ['application/openmetrics-text;q=0', PROMETHEUS_CONTENT_TYPE],
    ['application/openmetrics-text;q=abc', PROMETHEUS_CONTENT_TYPE],
    ['application/openmetrics-text;q=1.5', PROMETHEUS_CONTENT_TYPE],
    ['application/openmetrics-text;version=2.0.0', PROMETHEUS_CONTENT_TYPE],
    ['application/openmetrics-text;version=2.0.0, application/openmetrics-text;version=1.0.0;q=0.1', OPENMETRICS_CONTENT_TYPE],
    ['*/*', PROMETHEUS_CONTENT_TYPE],
    ['application/*', PROMETHEUS_CONTENT_TYPE],
    [';;;,,,===', PROMETHEUS_CONTENT_TYPE],
    [`${'text/html,'.repeat(100)}application/openmetrics-text`, PROMETHEUS_CONTENT_TYPE],
  ];
  for (const [accept, expected] of cases) {
    it(`Accept: ${accept === undefined ? '(none)' : JSON.stringify(accept).slice(0, 90)}`, () => {
      expect(negotiateExpositionFormat(accept).contentType).toBe(expected);
    });
  }

  it('reads a header given as several lines', () => {
    expect(negotiateExpositionFormat(['text/html', 'application/openmetrics-text']).format).toBe('openmetrics');
  });
});

/** A collection of `series` counter series from a real SDK. */
async function collection(series: number): Promise<ResourceMetrics> {
  const reader = new ProductionMetricReader();
  const provider = new MeterProvider({ readers: [reader], views: [{ instrumentName: '*', aggregationCardinalityLimit: series + 1 }] });
  const counter = provider.getMeter('t').createCounter('slice.test', { description: 'Slices' });
  for (let i = 0; i < series; i++) counter.add(i, { n: String(i) });
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return resourceMetrics;
}

describe('writing in slices', () => {
  it('yields to the event loop between slices, and the chunks add up to the whole exposition', async () => {
    const rm = await collection(2000);
    let now = 0;
    // Each clock read moves 1 ms: a 4 ms slice ends after a few groups of points.
    const writer = new ExpositionWriter({ sliceMs: 4, clock: () => now++ });
    const chunks: string[] = [];
    let ranBetween = 0;
    const immediate = setImmediate(() => (ranBetween = chunks.length));
    await writer.write(rm, 'prometheus', (chunk) => chunks.push(chunk));
    clearImmediate(immediate);
    expect(chunks.length).toBeGreaterThan(10);
    // The callback queued before the write ran while it was still writing.
    expect(ranBetween).toBeGreaterThan(0);
    expect(ranBetween).toBeLessThan(chunks.length);
    expect(chunks.join('')).toBe(writer.serialize(rm));
  });

  it('writes everything in one slice while the slice is not used up', async () => {
    const rm = await collection(2000);
    const writer = new ExpositionWriter({ sliceMs: 4, clock: () => 0 });
    const chunks: string[] = [];
    await writer.write(rm, 'openmetrics', (chunk) => chunks.push(chunk));
    expect(chunks).toEqual([writer.serialize(rm, 'openmetrics')]);
  });

  it('stops early once the scraper is gone', async () => {
    const rm = await collection(2000);
    let now = 0;
    const writer = new ExpositionWriter({ sliceMs: 1, clock: () => now++ });
    const chunks: string[] = [];
    await writer.write(
      rm,
      'prometheus',
      (chunk) => chunks.push(chunk),
      () => chunks.length >= 2,
    );
    expect(chunks).toHaveLength(2);
    expect(chunks.join('').length).toBeLessThan(writer.serialize(rm).length);
  });

  it('10,000 series in the text format pass promtool check metrics', async () => {
    const promtool = requireBinary('/usr/bin/promtool', 'prometheus');
    const text = await new ExpositionWriter().text(await collection(10_000), 'prometheus');
    const result = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('the reader as a /metrics handler', () => {
  it('answers 500 with the reason when collection fails', async () => {
    const reader = new ProductionMetricReader();
    // Never bound to a MeterProvider: collect() rejects.
    const server = createServer(reader.requestHandler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as { port: number };
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(500);
      expect(await response.text()).toMatch(/^# failed to export metrics: /);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
