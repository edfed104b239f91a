/**
 * A strict parser of RFC 8941 Structured Field Values, the subset HTTP list fields use: a List of Items and
 * Inner Lists, each with Parameters; bare items Integer, Decimal, String, Token, Byte Sequence and Boolean.
 * It follows the parsing algorithms of RFC 8941 section 4.2 and throws on anything they reject, so a test
 * can tell a well-formed `RateLimit` field from one a lenient split on `;` and `=` would accept.
 */

/** A Token, kept apart from a String. */
export class SfToken {
  constructor(readonly value: string) {}
}

/** A bare item's value. */
export type BareItem = number | string | boolean | SfToken | Uint8Array;

/** An Item: a bare item with its parameters (in order; the last of a repeated key wins, as 4.2.3.2 says). */
export interface SfItem {
  readonly value: BareItem;
  readonly params: Map<string, BareItem>;
}

/** An Inner List with its parameters. */
export interface SfInnerList {
  readonly items: SfItem[];
  readonly params: Map<string, BareItem>;
}

/** A member of a List. */
export type ListMember = SfItem | SfInnerList;

class Input {
  pos = 0;
  constructor(readonly text: string) {}
  peek(): string {
    return this.text[this.pos] ?? '';
  }
  done(): boolean {
    return this.pos >= this.text.length;
  }
  fail(what: string): never {
    throw new SyntaxError(`structured field: ${what} at ${this.pos} in ${JSON.stringify(this.text)}`);
  }
  skipSp(): void {
    while (this.peek() === ' ') this.pos++;
  }
  skipOws(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }
}

const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/;
const KEY_START = /^[a-z*]$/;
const KEY_CHAR = /^[a-z0-9_\-.*]$/;

/** Parses a List field value (RFC 8941 4.2 with field type "list"); throws SyntaxError when it is not one. */
export function parseList(text: string): ListMember[] {
  const input = new Input(text);
  // 4.2 step 2: leading and trailing SP are discarded.
  input.skipSp();
  const members: ListMember[] = [];
  while (!input.done()) {
    members.push(input.peek() === '(' ? parseInnerList(input) : parseItem(input));
    input.skipOws();
    if (input.done()) break;
    if (input.peek() !== ',') input.fail('expected ","');
    input.pos++;
    input.skipOws();
    if (input.done()) input.fail('trailing ","');
  }
  return members;
}

/** Parses an Item field value (4.2 with field type "item"). */
export function parseItemField(text: string): SfItem {
  const input = new Input(text);
  input.skipSp();
  const item = parseItem(input);
  input.skipSp();
  if (!input.done()) input.fail('unexpected characters after the item');
  return item;
}

function parseInnerList(input: Input): SfInnerList {
  input.pos++;
  const items: SfItem[] = [];
  for (;;) {
    input.skipSp();
    if (input.peek() === ')') {
      input.pos++;
      return { items, params: parseParameters(input) };
    }
    if (input.done()) input.fail('unterminated inner list');
    items.push(parseItem(input));
    const c = input.peek();
    if (c !== ' ' && c !== ')') input.fail('expected SP or ")" in inner list');
  }
}

function parseItem(input: Input): SfItem {
  const value = parseBareItem(input);
  return { value, params: parseParameters(input) };
}

function parseParameters(input: Input): Map<string, BareItem> {
  const params = new Map<string, BareItem>();
  while (input.peek() === ';') {
    input.pos++;
    input.skipSp();
    const key = parseKey(input);
    let value: BareItem = true;
    if (input.peek() === '=') {
      input.pos++;
      value = parseBareItem(input);
    }
    params.set(key, value);
  }
  return params;
}

function parseKey(input: Input): string {
  if (!KEY_START.test(input.peek())) input.fail('a key must start with lcalpha or "*"');
  let key = '';
  while (KEY_CHAR.test(input.peek())) key += input.text[input.pos++];
  return key;
}

function parseBareItem(input: Input): BareItem {
  const c = input.peek();
  if (c === '-' || /^[0-9]$/.test(c)) return parseNumber(input);
  if (c === '"') return parseString(input);
  if (c === ':') return parseByteSequence(input);
  if (c === '?') return parseBoolean(input);
  if (/^[A-Za-z*]$/.test(c)) return parseToken(input);
  return input.fail('expected a bare item');
}

function parseNumber(input: Input): number {
  let sign = 1;
  if (input.peek() === '-') {
    sign = -1;
    input.pos++;
  }
  if (!/^[0-9]$/.test(input.peek())) input.fail('expected a digit');
  let digits = '';
  let decimal = false;
  while (!input.done()) {
    const c = input.peek();
    if (/^[0-9]$/.test(c)) digits += c;
    else if (!decimal && c === '.') {
      if (digits.length > 12) input.fail('more than 12 integer digits in a decimal');
      digits += c;
      decimal = true;
    } else break;
    input.pos++;
    if (!decimal && digits.length > 15) input.fail('more than 15 digits in an integer');
    if (decimal && digits.length > 16) input.fail('more than 16 characters in a decimal');
  }
  if (!decimal) return sign * Number(digits);
  if (digits.endsWith('.')) input.fail('a decimal ends with "."');
  if (digits.length - digits.indexOf('.') - 1 > 3) input.fail('more than 3 fractional digits');
  return sign * Number(digits);
}

function parseString(input: Input): string {
  input.pos++;
  let out = '';
  for (;;) {
    if (input.done()) input.fail('unterminated string');
    const c = input.text[input.pos++]!;
    if (c === '\\') {
      const next = input.text[input.pos++];
      if (next !== '"' && next !== '\\') input.fail('bad escape in a string');
      out += next;
    } else if (c === '"') return out;
    else if (c < ' ' || c > '~') input.fail('a string holds printable ASCII only');
    else out += c;
  }
}

function parseToken(input: Input): SfToken {
  let out = '';
  while (!input.done() && (TCHAR.test(input.peek()) || input.peek() === ':' || input.peek() === '/')) out += input.text[input.pos++];
  return new SfToken(out);
}

function parseByteSequence(input: Input): Uint8Array {
  input.pos++;
  const end = input.text.indexOf(':', input.pos);
  if (end === -1) input.fail('unterminated byte sequence');
  const b64 = input.text.slice(input.pos, end);
  if (!/^[A-Za-z0-9+/=]*$/.test(b64)) input.fail('bad base64 in a byte sequence');
  input.pos = end + 1;
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

function parseBoolean(input: Input): boolean {
  input.pos++;
  const c = input.text[input.pos++];
  if (c === '1') return true;
  if (c === '0') return false;
  return input.fail('a boolean is ?0 or ?1');
}
