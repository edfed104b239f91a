/**
 * A small, strict reader of exposition sample lines for the tests: it follows the escaping rules rather
 * than splitting on characters, so label values holding `}`, `,`, `#` or spaces are read correctly.
 */

/** One sample line. */
export interface Sample {
  readonly name: string;
  /** Label pairs in the order written, values unescaped. */
  readonly labels: readonly (readonly [string, string])[];
  readonly value: string;
  /** Offset in the line just past the value (where a timestamp would go). */
  readonly valueEnd: number;
  /** The exemplar, when the line has one. */
  readonly exemplar?: {
    readonly labels: readonly (readonly [string, string])[];
    readonly value: string;
    readonly timestamp: string | undefined;
  };
}

function readLabels(line: string, start: number): { labels: [string, string][]; end: number } {
  const labels: [string, string][] = [];
  let i = start + 1;
  if (line[i] === '}') return { labels, end: i + 1 };
  for (;;) {
    const eq = line.indexOf('="', i);
    if (eq < 0) throw new Error(`no label value in ${JSON.stringify(line)}`);
    const name = line.slice(i, eq);
    let value = '';
    let j = eq + 2;
    for (; j < line.length && line[j] !== '"'; j++) {
      if (line[j] === '\\') {
        const next = line[++j];
        value += next === 'n' ? '\n' : next;
      } else {
        value += line[j];
      }
    }
    if (j >= line.length) throw new Error(`unterminated label value in ${JSON.stringify(line)}`);
    labels.push([name, value]);
    j++;
    if (line[j] === '}') return { labels, end: j + 1 };
    if (line[j] !== ',') throw new Error(`expected , or } at ${j} in ${JSON.stringify(line)}`);
    i = j + 1;
  }
}

/** Parses one sample line (not a comment). */
export function parseSample(line: string): Sample {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
  if (name === undefined) throw new Error(`no metric name in ${JSON.stringify(line)}`);
  let at = name.length;
  let labels: [string, string][] = [];
  if (line[at] === '{') ({ labels, end: at } = readLabels(line, at));
  if (line[at] !== ' ') throw new Error(`expected a space after the labels in ${JSON.stringify(line)}`);
  const rest = line.slice(at + 1);
  const value = rest.split(' ')[0]!;
  const valueEnd = at + 1 + value.length;
  const tail = line.slice(valueEnd);
  if (tail === '') return { name, labels, value, valueEnd };
  if (!tail.startsWith(' # {')) throw new Error(`unexpected text after the value in ${JSON.stringify(line)}`);
  const ex = readLabels(line, valueEnd + 3);
  const [exValue, timestamp, ...more] = line.slice(ex.end + 1).split(' ');
  if (more.length > 0 || exValue === undefined) throw new Error(`bad exemplar in ${JSON.stringify(line)}`);
  return { name, labels, value, valueEnd, exemplar: { labels: ex.labels, value: exValue, timestamp } };
}

/** Every sample of an exposition. */
export function samples(exposition: string): Sample[] {
  return exposition
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map(parseSample);
}

/** The exposition with `timestamp` after every sample's value (promtool's OpenMetrics backfill needs one). */
export function withTimestamps(exposition: string, timestamp: string): string {
  return exposition
    .split('\n')
    .map((line) => {
      if (line === '' || line.startsWith('#')) return line;
      const { valueEnd } = parseSample(line);
      return `${line.slice(0, valueEnd)} ${timestamp}${line.slice(valueEnd)}`;
    })
    .join('\n');
}
