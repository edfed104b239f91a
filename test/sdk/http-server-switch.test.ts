import { describe, expect, it } from 'vitest';
import { httpServerInstrumentationKind } from '../../src/sdk/preload/telemetry.js';
import { startService } from '../instrumentation/helpers.js';

/** The scope labels of the `http_server_request_duration_count` series of the service's traffic. */
async function durationScopes(extra: Record<string, string>): Promise<{ scopes: string[]; metrics: string; stderr: string }> {
  const service = await startService('require', extra);
  try {
    for (let i = 0; i < 3; i++) expect((await fetch(`${service.url}/search?q=ada`)).status).toBe(200);
    const metrics = await (await fetch(`${service.adminUrl}/metrics`)).text();
    const scopes = metrics
      .split('\n')
      .filter((line) => line.startsWith('http_server_request_duration_count{'))
      .map((line) => /otel_scope_name="([^"]+)"/.exec(line)?.[1] ?? '');
    return { scopes: [...new Set(scopes)], metrics, stderr: service.stderr() };
  } finally {
    await service.stop();
  }
}

describe('PRODUCTION_HTTP_SERVER_INSTRUMENTATION', () => {
  it('reads lean (the default) and otel, and reports any other value and uses lean', () => {
    const reports: string[] = [];
    const report = (message: string) => void reports.push(message);
    expect(httpServerInstrumentationKind({}, report)).toBe('lean');
    expect(httpServerInstrumentationKind({ PRODUCTION_HTTP_SERVER_INSTRUMENTATION: 'OTel ' }, report)).toBe('otel');
    expect(httpServerInstrumentationKind({ PRODUCTION_HTTP_SERVER_INSTRUMENTATION: 'lean' }, report)).toBe('lean');
    expect(reports).toEqual([]);
    expect(httpServerInstrumentationKind({ PRODUCTION_HTTP_SERVER_INSTRUMENTATION: 'otle' }, report)).toBe('lean');
    expect(reports).toEqual(['PRODUCTION_HTTP_SERVER_INSTRUMENTATION="otle" is not one of lean, otel; using lean']);
  });

  it('under the preload, `otel` traces incoming requests with instrumentation-http instead of the lean one, same metric', async () => {
    const lean = await durationScopes({});
    expect(lean.scopes).toEqual(['@llmkg/production/http-server']);
    const otel = await durationScopes({ PRODUCTION_HTTP_SERVER_INSTRUMENTATION: 'otel' });
    expect(otel.scopes).toEqual(['@opentelemetry/instrumentation-http']);
    // The service's requests only: the admin server's scrape is not counted, by either.
    expect(otel.metrics).toMatch(
      /^http_server_request_duration_count\{[^}]*http_route="\/search"[^}]*\} 3$|^http_server_request_duration_count\{[^}]*\} 3$/m,
    );
    expect(otel.stderr).not.toContain('is not a setting');
  }, 60_000);
});
