import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { SeverityNumber, type LogRecord } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type LogRecordProcessor,
  type ReadableLogRecord,
  type SdkLogRecord,
} from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { directLogger } from '../../src/sdk/direct-logs.js';

const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };

/** The fields an exporter reads, times left out. */
function exported(record: ReadableLogRecord): Record<string, unknown> {
  return {
    body: record.body,
    severityNumber: record.severityNumber,
    severityText: record.severityText,
    eventName: record.eventName,
    attributes: record.attributes,
    droppedAttributesCount: record.droppedAttributesCount,
    spanContext: record.spanContext,
    resource: record.resource.attributes,
    scope: record.instrumentationScope,
  };
}

function setup(limits?: { attributeCountLimit?: number; attributeValueLengthLimit?: number }, extra: LogRecordProcessor[] = []) {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'direct-logs' }),
    processors: [new SimpleLogRecordProcessor({ exporter }), ...extra],
    ...(limits ? { logRecordLimits: limits } : {}),
  });
  const sdk = provider.getLogger('scope', '1.2.3');
  return { exporter, provider, sdk, direct: directLogger(sdk) };
}

const cyclic: Record<string, unknown> = { a: 1 };
cyclic.self = cyclic;

const records: LogRecord[] = [
  {
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    body: 'plain',
    attributes: { s: 'x', n: 2, b: false, u: undefined, z: null },
  },
  { body: 'nested', attributes: { obj: { k: 'long value', list: [1, 'two', { deep: 'abcdef' }] }, bytes: new Uint8Array([1, 2]) } },
  // Invalid values are dropped with a warning, as the SDK drops them; an empty key too.
  { body: 'invalid', attributes: { cyclic: cyclic as never, date: new Date(0) as never, '': 'empty key', ok: 'kept' } },
  { body: 'in a span', eventName: 'order.placed', context: trace.setSpanContext(ROOT_CONTEXT, spanContext), timestamp: 1_700_000_000_000 },
];

describe('the direct log path', () => {
  it('is used for an SDK logger with the default config and emits what the SDK logger emits', async () => {
    const { exporter, provider, sdk, direct } = setup();
    expect(direct).not.toBe(sdk);
    for (const record of records) {
      sdk.emit(record);
      direct.emit(record);
    }
    const out = exporter.getFinishedLogRecords().map(exported);
    expect(out).toHaveLength(records.length * 2);
    for (let i = 0; i < records.length; i++) expect(out[2 * i + 1]).toEqual(out[2 * i]);
    expect(out[7]!.spanContext).toEqual(spanContext);
    expect(exporter.getFinishedLogRecords()[7]!.hrTime).toEqual([1_700_000_000, 0]);
    await provider.shutdown();
  });

  it('applies the provider limits (count, then truncation) as the SDK does', async () => {
    const { exporter, provider, sdk, direct } = setup({ attributeCountLimit: 3, attributeValueLengthLimit: 4 });
    const record: LogRecord = {
      body: 'limits',
      attributes: { a: 'abcdefgh', b: ['long string', 1], c: { d: 'xyzxyz' }, e: 'dropped', f: 'dropped' },
    };
    sdk.emit(record);
    direct.emit(record);
    const [viaSdk, viaDirect] = exporter.getFinishedLogRecords().map(exported);
    expect(viaDirect).toEqual(viaSdk);
    expect(viaDirect).toMatchObject({ attributes: { a: 'abcd', b: ['long', 1], c: { d: 'xyzx' } }, droppedAttributesCount: 2 });
    await provider.shutdown();
  });

  it('asks processors with `enabled`, is read-only after onEmit, and emits nothing once the provider shut down', async () => {
    let kept: SdkLogRecord | undefined;
    const keeper: LogRecordProcessor = {
      onEmit: (record) => void (kept = record),
      enabled: (options) => (options?.severityNumber ?? 0) >= SeverityNumber.WARN,
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ processors: [keeper] });
    const direct = directLogger(provider.getLogger('scope'));
    direct.emit({ severityNumber: SeverityNumber.INFO, body: 'below' });
    expect(kept).toBeUndefined();
    direct.emit({ severityNumber: SeverityNumber.ERROR, body: 'kept', attributes: { a: 1 } });
    expect(kept?.body).toBe('kept');
    kept!.setAttribute('late', 'ignored').setBody('changed');
    expect(kept!.attributes).toEqual({ a: 1 });
    expect(kept!.body).toBe('kept');
    await provider.shutdown();
    kept = undefined;
    direct.emit({ severityNumber: SeverityNumber.ERROR, body: 'after shutdown' });
    expect(kept).toBeUndefined();
    expect(exporter.getFinishedLogRecords()).toHaveLength(0);
  });

  it('leaves a logger with a non-default config, and any logger not the SDK one, as it is', async () => {
    const provider = new LoggerProvider({
      processors: [new SimpleLogRecordProcessor({ exporter: new InMemoryLogRecordExporter() })],
      loggerConfigurator: () => ({ disabled: false, minimumSeverity: SeverityNumber.WARN, traceBased: false }),
    });
    const configured = provider.getLogger('scope');
    expect(directLogger(configured)).toBe(configured);
    const plain = { emit() {}, enabled: () => true };
    expect(directLogger(plain)).toBe(plain);
    await provider.shutdown();
  });
});
