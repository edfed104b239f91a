/** The two exposition formats `/metrics` speaks, and how a scraper's `Accept` header picks one. */

/** `prometheus`: the text format 0.0.4; `openmetrics`: OpenMetrics 1.0 text, with exemplars. */
export type ExpositionFormat = 'prometheus' | 'openmetrics';

/** Content type of the Prometheus text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** Content type of OpenMetrics 1.0.0 text. */
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** What a request negotiated: the format and the exact content type to answer with. */
export interface NegotiatedFormat {
  readonly format: ExpositionFormat;
  readonly contentType: string;
}

const PROMETHEUS: NegotiatedFormat = { format: 'prometheus', contentType: PROMETHEUS_CONTENT_TYPE };
const OPENMETRICS: NegotiatedFormat = { format: 'openmetrics', contentType: OPENMETRICS_CONTENT_TYPE };
const OPENMETRICS_001: NegotiatedFormat = {
  format: 'openmetrics',
  contentType: 'application/openmetrics-text; version=0.0.1; charset=utf-8',
};

// A hostile header cannot make negotiation expensive: only this much of it is read.
const MAX_ACCEPT_LENGTH = 4096;
const MAX_MEDIA_RANGES = 32;

interface MediaRange {
  readonly type: string;
  readonly version: string | undefined;
  readonly q: number;
  readonly order: number;
}

function parseRange(text: string, order: number): MediaRange | undefined {
  const parts = text.split(';');
  const type = parts[0]!.trim().toLowerCase();
  if (type === '') return undefined;
  let version: string | undefined;
  let q = 1;
  for (let i = 1; i < parts.length; i++) {
    const eq = parts[i]!.indexOf('=');
    if (eq < 0) continue;
    const key = parts[i]!.slice(0, eq).trim().toLowerCase();
    const value = parts[i]!.slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (key === 'q') {
      // RFC 9110 qvalue: 0 to 1 with at most three decimals; anything else makes the range unacceptable.
      q = /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(value) ? Number(value) : 0;
    } else if (key === 'version') {
      version = value;
    }
  }
  return { type, version, q, order };
}

function formatOf(range: MediaRange): NegotiatedFormat | undefined {
  if (range.type === 'application/openmetrics-text') {
    if (range.version === undefined || range.version === '1.0.0') return OPENMETRICS;
    if (range.version === '0.0.1') return OPENMETRICS_001;
    return undefined;
  }
  if (range.type === 'text/plain' && (range.version === undefined || range.version === '0.0.4')) return PROMETHEUS;
  return undefined;
}

/**
 * Picks the format as Prometheus' own client libraries do: the acceptable media ranges by falling
 * q-value (earlier first among equals); the first that is OpenMetrics (version 1.0.0, 0.0.1 or none)
 * or text/plain (version 0.0.4 or none) wins; with none of those, or no header, the text format.
 * A range with `q=0` or a malformed q-value is not acceptable.
 */
export function negotiateExpositionFormat(accept: string | readonly string[] | undefined): NegotiatedFormat {
  if (accept === undefined) return PROMETHEUS;
  const header = (typeof accept === 'string' ? accept : accept.join(',')).slice(0, MAX_ACCEPT_LENGTH);
  const ranges: MediaRange[] = [];
  for (const part of header.split(',').slice(0, MAX_MEDIA_RANGES)) {
    const range = parseRange(part, ranges.length);
    if (range !== undefined && range.q > 0) ranges.push(range);
  }
  ranges.sort((a, b) => b.q - a.q || a.order - b.order);
  for (const range of ranges) {
    const format = formatOf(range);
    if (format !== undefined) return format;
  }
  return PROMETHEUS;
}
