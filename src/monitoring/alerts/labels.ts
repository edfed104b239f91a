/** Prometheus label name form of an OTel attribute name (`production.operation.name` → `production_operation_name`). */
export function labelName(attribute: string): string {
  const cleaned = attribute.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;
const encoder = new TextEncoder();

/**
 * Alertmanager's fingerprint of a label set: FNV-1a 64 over the names and values sorted by name, each
 * followed by the 0xff separator, as 16 hex digits.
 */
export function fingerprint(labels: Readonly<Record<string, string>>): string {
  let hash = FNV_OFFSET;
  const mix = (bytes: Uint8Array): void => {
    for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * FNV_PRIME) & MASK;
  };
  const separator = new Uint8Array([0xff]);
  for (const name of Object.keys(labels).sort()) {
    mix(encoder.encode(name));
    mix(separator);
    mix(encoder.encode(labels[name]));
    mix(separator);
  }
  return hash.toString(16).padStart(16, '0');
}

/** Formats a value for `{{ $value }}`: plain number, at most 6 significant digits. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(Number(value.toPrecision(6)));
}

/** Fills `{{ $value }}` and `{{ $labels.<name> }}` into each annotation, as Prometheus' templates do. */
export function expandAnnotations(
  annotations: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
  value: number,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, text] of Object.entries(annotations)) {
    out[key] = text.replace(/\{\{\s*\$(value|labels\.([a-zA-Z_][a-zA-Z0-9_]*))\s*\}\}/g, (_m, what: string, label?: string) =>
      what === 'value' ? formatValue(value) : (labels[label!] ?? ''),
    );
  }
  return out;
}
