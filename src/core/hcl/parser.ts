/**
 * A small, dependency-free parser for HCL **version 1**, the dialect of Vault policies and
 * Vault-style server config files. The npm HCL2 parsers mis-parse real Vault policies
 * (brace on the next line, nested blocks, JSON), hence this one.
 *
 * Grammar:
 *   body  := (item ','?)*
 *   item  := KEY LABEL* ('=' value | '{' body '}')      KEY/LABEL: identifier or "string"
 *   value := string | heredoc | number | bool | list | '{' body '}'
 *   list  := '[' (value (',' value)* ','?)? ']'
 * Comments: `#`, `//` and `/* *\/`. If the first non-space character is `{`, the text is JSON.
 *
 * ## Output shape (the same for HCL and for JSON input)
 * `parseHcl` returns an {@link HclObject}. Inside any object:
 * - `k = "s"`, `k = 1`, `k = true`, `k = [..]` → `obj.k` is that value (a key set twice is an error);
 * - every **object** value is a block and blocks always collect into an **array of objects**,
 *   even when the key appears once: `k { a = 1 }`, `k = { a = 1 }` → `obj.k = [{ a: 1 }]`;
 *   a repeated key appends: `k {a=1} k {b=2}` → `obj.k = [{a:1}, {b:2}]`;
 * - labels are HCL1 shorthand for nesting, so each label is one more level of the same rule:
 *   `path "a" { x = 1 }` ≡ `path { "a" { x = 1 } }` → `{ path: [ { a: [ { x: 1 } ] } ] }`,
 *   and `path "a" {..} path "b" {..}` → `{ path: [ { a: [..] }, { b: [..] } ] }`;
 * - a non-empty list whose elements are all objects is the same thing as repeated blocks;
 * - JSON is normalized to the same shape: `{"path":{"a":{"x":1}}}` → `{ path: [ { a: [ { x: 1 } ] } ] }`.
 * Use {@link blocks}, {@link labeledBlocks} and {@link mergeBlocks} to read blocks, and
 * {@link hclPosition} (after parsing with `{ positions: true }`) to point an error at a line.
 */

/** A decoded HCL value. Object values appear only as block arrays (see the module docs). */
export type HclValue = string | number | boolean | null | HclValue[] | HclObject;

/** A decoded HCL object (a body). Keys are own properties; `__proto__` is a plain key. */
export interface HclObject {
  [key: string]: HclValue;
}

/** A syntax error, with the 1-based line and column it refers to (0 when unknown). */
export class HclError extends Error {
  readonly line: number;
  readonly column: number;
  /** The message without the position prefix. */
  readonly detail: string;

  constructor(detail: string, line = 0, column = 0) {
    super(line > 0 ? `line ${line}, column ${column}: ${detail}` : detail);
    this.name = 'HclError';
    this.detail = detail;
    this.line = line;
    this.column = column;
  }
}

/** Deeper nesting than this is refused, so hostile input cannot overflow the stack. */
const MAX_DEPTH = 100;

/** One parsed source, with its line starts computed on first use (binary-searched). */
interface SourceInfo {
  src: string;
  lineStarts?: number[];
}
/** Where each key of a parsed object was written. */
interface PositionInfo {
  source: SourceInfo;
  offsets: Map<string, number>;
}
const positions = new WeakMap<HclObject, PositionInfo>();

/** Options for {@link parseHcl}. */
export interface HclParseOptions {
  /**
   * Record where each key was written, for {@link hclPosition}. Off by default: it costs a Map
   * and a WeakMap entry per object (measured: parsing takes about twice as long), and callers
   * usually only need positions to explain an error, so they parse again with this on.
   */
  positions?: boolean;
}

/**
 * Parses HCL1 (or JSON, when the text starts with `{`) into the documented shape.
 * Throws {@link HclError} with the line and column of the first problem.
 */
export function parseHcl(text: string, options: HclParseOptions = {}): HclObject {
  let src = text;
  if (src.charCodeAt(0) === 0xfeff) src = src.slice(1);
  let i = 0;
  while (i < src.length && isSpace(src.charCodeAt(i))) i++;
  if (src.charCodeAt(i) === CH_LBRACE) return parseJson(src);
  return new Parser(src, options.positions === true).parseDocument();
}

/**
 * The blocks stored under a value: `[]` for undefined, the array for a block array.
 * Throws HclError when the value is a scalar or a list of scalars (`what` names it).
 */
export function blocks(value: HclValue | undefined, what: string): HclObject[] {
  if (value === undefined) return [];
  if (Array.isArray(value) && value.every(isObject)) return value as HclObject[];
  throw new HclError(`${what} must be a block ({ ... }), not ${describe(value)}`);
}

/**
 * Reads one-label blocks such as `path "a" {..}` or `listener "tcp" {..}` under `key`,
 * in source order, whichever way they were written (label syntax, nested objects, JSON).
 * `wrapper` is the object holding the label, for `hclPosition(wrapper, label)`.
 */
export function labeledBlocks(obj: HclObject, key: string): Array<{ label: string; body: HclObject; wrapper: HclObject }> {
  const out: Array<{ label: string; body: HclObject; wrapper: HclObject }> = [];
  for (const wrapper of blocks(own(obj, key), `"${key}"`)) {
    for (const label of Object.keys(wrapper)) {
      for (const body of blocks(wrapper[label], `${key} "${label}"`)) out.push({ label, body, wrapper });
    }
  }
  return out;
}

/** Merges a block array into one object (later keys win): for map-like blocks such as `allowed_parameters`. */
export function mergeBlocks(list: HclObject[]): HclObject {
  const out: HclObject = {};
  for (const block of list) for (const k of Object.keys(block)) setKey(out, k, block[k]!);
  return out;
}

/**
 * Where `key` was written in the HCL source of `obj`; undefined unless the document was parsed
 * with `{ positions: true }`, and for JSON input.
 */
export function hclPosition(obj: HclObject, key: string): { line: number; column: number } | undefined {
  const info = positions.get(obj);
  const offset = info?.offsets.get(key);
  if (info === undefined || offset === undefined) return undefined;
  const source = info.source;
  if (!source.lineStarts) {
    const starts = [0];
    for (let i = source.src.indexOf('\n'); i >= 0; i = source.src.indexOf('\n', i + 1)) starts.push(i + 1);
    source.lineStarts = starts;
  }
  const starts = source.lineStarts;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}

/** Reads an own property (never one inherited from Object.prototype). */
export function own(obj: HclObject, key: string): HclValue | undefined {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

// ---------------------------------------------------------------------------------------------

const CH_TAB = 9, CH_LF = 10, CH_CR = 13, CH_SPACE = 32, CH_QUOTE = 34, CH_HASH = 35, CH_STAR = 42,
  CH_COMMA = 44, CH_MINUS = 45, CH_SLASH = 47, CH_LT = 60, CH_EQ = 61, CH_LBRACKET = 91, CH_BACKSLASH = 92,
  CH_RBRACKET = 93, CH_LBRACE = 123, CH_RBRACE = 125;

function isSpace(c: number): boolean {
  return c === CH_SPACE || c === CH_LF || c === CH_TAB || c === CH_CR;
}
function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57) || c === CH_MINUS || c === 46 /* . */ || c === 58 /* : */;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isObject(v: unknown): v is HclObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True for a non-empty array of objects: such a list is a block array. */
function isBlockList(v: HclValue): v is HclObject[] {
  return Array.isArray(v) && v.length > 0 && v.every(isObject);
}

/** Assignment that treats `__proto__` as an ordinary key instead of changing the prototype. */
function setKey(obj: HclObject, key: string, value: HclValue): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

function describe(v: HclValue): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return `a ${typeof v}`;
}

function lineColumn(src: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, src.length);
  for (let i = 0; i < end; i++) {
    if (src.charCodeAt(i) === CH_LF) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/** Quotes a bit of source for an error message, kept short. */
function snippet(text: string): string {
  const t = text.length > 30 ? `${text.slice(0, 30)}…` : text;
  return JSON.stringify(t);
}

const NUMBER_RE = /-?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/y;
const IDENT_RE = /[A-Za-z_][A-Za-z0-9_\-.:]*/y;

class Parser {
  private pos = 0;
  private depth = 0;
  private readonly source: SourceInfo;

  constructor(
    private readonly src: string,
    private readonly trackPositions: boolean,
  ) {
    this.source = { src };
  }

  parseDocument(): HclObject {
    return this.parseBody(-1);
  }

  private fail(detail: string, offset = this.pos): never {
    const { line, column } = lineColumn(this.src, offset);
    throw new HclError(detail, line, column);
  }

  /** Skips whitespace (newlines included) and comments. */
  private skip(): void {
    const src = this.src;
    const n = src.length;
    let p = this.pos;
    while (p < n) {
      const c = src.charCodeAt(p);
      if (c === CH_SPACE || c === CH_LF || c === CH_TAB || c === CH_CR) {
        p++;
      } else if (c === CH_HASH || (c === CH_SLASH && src.charCodeAt(p + 1) === CH_SLASH)) {
        const nl = src.indexOf('\n', p);
        p = nl < 0 ? n : nl + 1;
      } else if (c === CH_SLASH && src.charCodeAt(p + 1) === CH_STAR) {
        const close = src.indexOf('*/', p + 2);
        if (close < 0) this.fail('unterminated /* comment', p);
        p = close + 2;
      } else {
        break;
      }
    }
    this.pos = p;
  }

  /**
   * Parses items until `}` (when `openOffset` >= 0, the offset of the `{`) or end of input.
   */
  private parseBody(openOffset: number): HclObject {
    if (++this.depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    const obj: HclObject = {};
    // Offsets of every key, only when tracking positions (it costs a Map and a WeakMap entry).
    let offsets: Map<string, number> | undefined;
    if (this.trackPositions) positions.set(obj, { source: this.source, offsets: (offsets = new Map()) });
    // Keys seen so far: block arrays (which collect) or attribute offsets (set once). A local
    // Map is cheaper than property probes on objects whose keys are paths.
    let seen: Map<string, HclObject[] | number> | undefined;
    const src = this.src;
    for (;;) {
      this.skip();
      if (this.pos >= src.length) {
        if (openOffset >= 0) {
          const open = lineColumn(src, openOffset);
          this.fail(`missing '}' for the '{' at line ${open.line}, column ${open.column}`);
        }
        break;
      }
      const c = src.charCodeAt(this.pos);
      if (c === CH_RBRACE) {
        if (openOffset < 0) this.fail("unexpected '}' (no block is open)");
        this.pos++;
        break;
      }
      if (c === CH_COMMA) {
        this.pos++;
        continue;
      }
      const keyOffset = this.pos;
      const key = this.parseKey('a key');
      let value: HclValue;
      let labels: Array<{ label: string; offset: number }> | undefined;
      for (;;) {
        this.skip();
        const d = src.charCodeAt(this.pos);
        if (d === CH_EQ) {
          if (labels) this.fail(`expected '{' after the labels of "${key}" (labels are only allowed on blocks)`);
          this.pos++;
          value = this.parseValue();
          break;
        }
        if (d === CH_LBRACE) {
          const open = this.pos++;
          value = this.parseBody(open);
          break;
        }
        if (d === CH_QUOTE || isIdentStart(d)) {
          const offset = this.pos;
          (labels ??= []).push({ label: this.parseKey('a label'), offset });
          continue;
        }
        if (this.pos >= src.length) this.fail(`expected '=' or '{' after "${key}" but the input ended`);
        this.fail(`expected '=' or '{' after "${key}", found ${snippet(src[this.pos]!)}`);
      }
      if (labels) {
        for (let i = labels.length - 1; i >= 0; i--) {
          const wrapper: HclObject = {};
          setKey(wrapper, labels[i]!.label, [value]);
          if (this.trackPositions) positions.set(wrapper, { source: this.source, offsets: new Map([[labels[i]!.label, labels[i]!.offset]]) });
          value = wrapper;
        }
      }
      // Store: objects and lists of objects collect as blocks; anything else is an attribute.
      const existing = seen?.get(key);
      const single = isObject(value);
      const isBlock = single || isBlockList(value);
      if (existing !== undefined) {
        if (!isBlock || typeof existing === 'number') {
          const firstOffset = typeof existing === 'number' ? existing : offsets?.get(key);
          const first = firstOffset === undefined ? undefined : lineColumn(src, firstOffset);
          this.fail(`duplicate key "${key}"${first ? ` (first set at line ${first.line}, column ${first.column})` : ' (already used for a block)'}`, keyOffset);
        }
        if (single) existing.push(value as HclObject);
        else for (const v of value as HclObject[]) existing.push(v);
      } else {
        offsets?.set(key, keyOffset);
        seen ??= new Map();
        if (isBlock) {
          const list = single ? [value as HclObject] : (value as HclObject[]).slice();
          seen.set(key, list);
          setKey(obj, key, list);
        } else {
          seen.set(key, keyOffset);
          setKey(obj, key, value);
        }
      }
    }
    this.depth--;
    return obj;
  }

  /** A key or label: an identifier or a quoted string. */
  private parseKey(what: string): string {
    const c = this.src.charCodeAt(this.pos);
    if (c === CH_QUOTE) return this.parseString();
    if (isIdentStart(c)) {
      IDENT_RE.lastIndex = this.pos;
      const m = IDENT_RE.exec(this.src)!;
      this.pos += m[0].length;
      return m[0];
    }
    if (this.pos >= this.src.length) this.fail(`expected ${what} but the input ended`);
    this.fail(`expected ${what} (a name or a "quoted string"), found ${snippet(this.src[this.pos]!)}`);
  }

  private parseValue(): HclValue {
    this.skip();
    const src = this.src;
    const c = src.charCodeAt(this.pos);
    if (c === CH_QUOTE) return this.parseString();
    if (c === CH_LBRACKET) return this.parseList();
    if (c === CH_LBRACE) {
      const open = this.pos++;
      return this.parseBody(open);
    }
    if (c === CH_LT && src.charCodeAt(this.pos + 1) === CH_LT) return this.parseHeredoc();
    if (c === CH_MINUS || isDigit(c)) {
      NUMBER_RE.lastIndex = this.pos;
      const m = NUMBER_RE.exec(src);
      if (m && !isIdentPart(src.charCodeAt(this.pos + m[0].length))) {
        this.pos += m[0].length;
        const t = m[0];
        const neg = t.charCodeAt(0) === CH_MINUS;
        const body = neg ? t.slice(1) : t;
        const n = body.length > 1 && (body[1] === 'x' || body[1] === 'X') ? parseInt(body.slice(2), 16) : Number(body);
        return neg ? -n : n;
      }
    }
    if (isIdentStart(c)) {
      IDENT_RE.lastIndex = this.pos;
      const word = IDENT_RE.exec(src)![0];
      if (word === 'true' || word === 'false') {
        this.pos += word.length;
        return word === 'true';
      }
      this.fail(`expected a value but found ${snippet(word)} (quote strings: "${word}")`);
    }
    if (this.pos >= src.length) this.fail('expected a value but the input ended');
    // Show the rest of the token (e.g. `1h`) so the user sees what to quote.
    let end = this.pos;
    while (end < src.length && !isSpace(src.charCodeAt(end)) && end - this.pos < 30) end++;
    this.fail(`expected a value but found ${snippet(src.slice(this.pos, Math.max(end, this.pos + 1)))}`);
  }

  private parseList(): HclValue[] {
    const open = this.pos++;
    if (++this.depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    const out: HclValue[] = [];
    for (;;) {
      this.skip();
      const c = this.src.charCodeAt(this.pos);
      if (c === CH_RBRACKET) {
        this.pos++;
        break;
      }
      if (this.pos >= this.src.length) {
        const o = lineColumn(this.src, open);
        this.fail(`missing ']' for the '[' at line ${o.line}, column ${o.column}`);
      }
      out.push(this.parseValue());
      this.skip();
      const d = this.src.charCodeAt(this.pos);
      if (d === CH_COMMA) {
        this.pos++;
        continue;
      }
      if (d === CH_RBRACKET) {
        this.pos++;
        break;
      }
      if (this.pos >= this.src.length) {
        const o = lineColumn(this.src, open);
        this.fail(`missing ']' for the '[' at line ${o.line}, column ${o.column}`);
      }
      this.fail(`expected ',' or ']' in the list, found ${snippet(this.src[this.pos]!)}`);
    }
    this.depth--;
    return out;
  }

  /** A "quoted string" with escapes \" \\ \/ \n \t \r \b \f \uXXXX \UXXXXXXXX; no raw newlines. */
  private parseString(): string {
    const src = this.src;
    const start = this.pos;
    let p = start + 1;
    let out = '';
    let chunk = p;
    for (;;) {
      if (p >= src.length) this.fail('unterminated string', start);
      const c = src.charCodeAt(p);
      if (c === CH_QUOTE) {
        out += src.slice(chunk, p);
        this.pos = p + 1;
        return out;
      }
      if (c === CH_LF) this.fail('unterminated string (a quoted string cannot span lines; use a heredoc)', start);
      if (c === CH_BACKSLASH) {
        out += src.slice(chunk, p);
        const e = src[p + 1];
        switch (e) {
          case '"': out += '"'; p += 2; break;
          case '\\': out += '\\'; p += 2; break;
          case '/': out += '/'; p += 2; break;
          case 'n': out += '\n'; p += 2; break;
          case 't': out += '\t'; p += 2; break;
          case 'r': out += '\r'; p += 2; break;
          case 'b': out += '\b'; p += 2; break;
          case 'f': out += '\f'; p += 2; break;
          case 'u':
          case 'U': {
            const len = e === 'u' ? 4 : 8;
            const hex = src.slice(p + 2, p + 2 + len);
            if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) this.fail(`invalid \\${e} escape: expected ${len} hex digits`, p);
            const cp = parseInt(hex, 16);
            if (cp > 0x10ffff) this.fail(`invalid \\${e} escape: code point out of range`, p);
            out += String.fromCodePoint(cp);
            p += 2 + len;
            break;
          }
          default:
            this.fail(`invalid escape sequence ${snippet(`\\${e ?? ''}`)} in string`, p);
        }
        chunk = p;
        continue;
      }
      p++;
    }
  }

  /** `<<EOF` … `EOF`, or `<<-EOF` whose lines lose the indentation of the closing marker. */
  private parseHeredoc(): string {
    const src = this.src;
    const start = this.pos;
    let p = start + 2;
    const indent = src.charCodeAt(p) === CH_MINUS;
    if (indent) p++;
    IDENT_RE.lastIndex = p;
    const m = IDENT_RE.exec(src);
    if (!m) this.fail('expected a heredoc marker after "<<" (for example <<EOF)', start);
    const marker = m[0];
    p += marker.length;
    while (src.charCodeAt(p) === CH_SPACE || src.charCodeAt(p) === CH_TAB || src.charCodeAt(p) === CH_CR) p++;
    if (src.charCodeAt(p) !== CH_LF) this.fail(`the heredoc marker <<${marker} must end its line`, p);
    p++;
    const lines: string[] = [];
    for (;;) {
      if (p >= src.length) this.fail(`unterminated heredoc: no closing line "${marker}"`, start);
      let nl = src.indexOf('\n', p);
      if (nl < 0) nl = src.length;
      let line = src.slice(p, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      const closing = indent ? line.trim() === marker : line === marker;
      if (closing) {
        this.pos = nl;
        if (indent) {
          const prefix = line.slice(0, line.indexOf(marker));
          if (prefix !== '' && lines.every((l) => l.startsWith(prefix))) {
            for (let i = 0; i < lines.length; i++) lines[i] = lines[i]!.slice(prefix.length);
          }
        }
        return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
      }
      lines.push(line);
      p = nl + 1;
    }
  }
}

// --- JSON input -------------------------------------------------------------------------------

function parseJson(src: string): HclObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(src);
  } catch {
    // V8's messages sometimes carry no position and quote the input; locate the error ourselves.
    const { offset, detail } = locateJsonError(src);
    const { line, column } = lineColumn(src, offset);
    throw new HclError(`invalid JSON: ${detail}`, line, column);
  }
  if (!isObject(parsed)) throw new HclError('a JSON document must be an object', 1, 1);
  return normalizeObject(parsed as Record<string, unknown>, 0);
}

/** Finds where and why JSON.parse failed (only called on failure, so speed does not matter). */
function locateJsonError(src: string): { offset: number; detail: string } {
  let p = 0;
  class Stop {
    constructor(readonly offset: number, readonly detail: string) {}
  }
  const stop = (detail: string, at = p): never => {
    throw new Stop(at, at >= src.length ? `${detail}, but the input ended` : `${detail}, found ${snippet(src[at]!)}`);
  };
  const ws = () => {
    while (p < src.length && isSpace(src.charCodeAt(p))) p++;
  };
  const str = () => {
    const re = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
    re.lastIndex = p;
    const m = re.exec(src);
    if (!m) {
      const start = p;
      p++;
      while (p < src.length && src[p] !== '"' && src.charCodeAt(p) >= 0x20) {
        if (src[p] === '\\') {
          if (!/^(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/.test(src.slice(p + 1, p + 6))) throw new Stop(p, 'invalid escape sequence in string');
          p++;
        }
        p++;
      }
      throw new Stop(start, 'unterminated string');
    }
    p += m[0].length;
  };
  const value = (depth: number): void => {
    if (depth > MAX_DEPTH) stop(`nesting deeper than ${MAX_DEPTH} levels`);
    ws();
    const c = src[p];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      p++;
      ws();
      if (src[p] === close) {
        p++;
        return;
      }
      for (;;) {
        ws();
        if (c === '{') {
          if (src[p] !== '"') stop('expected a "quoted" key');
          str();
          ws();
          if (src[p] !== ':') stop("expected ':' after the key");
          p++;
        }
        value(depth + 1);
        ws();
        if (src[p] === ',') {
          p++;
          continue;
        }
        if (src[p] === close) {
          p++;
          return;
        }
        stop(`expected ',' or '${close}'`);
      }
    }
    if (c === '"') return str();
    const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
    m.lastIndex = p;
    const hit = m.exec(src);
    if (!hit) return stop('expected a value');
    p += hit[0].length;
  };
  try {
    value(0);
    ws();
    if (p < src.length) stop('unexpected text after the JSON document');
    return { offset: 0, detail: 'not valid JSON' };
  } catch (err) {
    if (err instanceof Stop) return { offset: err.offset, detail: err.detail };
    throw err;
  }
}

/** Gives JSON the shape HCL produces: object values become one-element block arrays. */
function normalizeObject(obj: Record<string, unknown>, depth: number): HclObject {
  if (depth > MAX_DEPTH) throw new HclError(`nesting deeper than ${MAX_DEPTH} levels`);
  const out: HclObject = {};
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (isObject(v)) setKey(out, key, [normalizeObject(v as Record<string, unknown>, depth + 1)]);
    else if (Array.isArray(v)) setKey(out, key, v.map((el) => normalizeElement(el, depth + 1)));
    else setKey(out, key, v as HclValue);
  }
  return out;
}

function normalizeElement(v: unknown, depth: number): HclValue {
  if (depth > MAX_DEPTH) throw new HclError(`nesting deeper than ${MAX_DEPTH} levels`);
  if (isObject(v)) return normalizeObject(v as Record<string, unknown>, depth);
  if (Array.isArray(v)) return v.map((el) => normalizeElement(el, depth + 1));
  return v as HclValue;
}
