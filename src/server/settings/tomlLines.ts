// Where things are in a TOML text, line by line, so the server can edit one value and keep everything else (the
// user's comments, order, spacing) byte for byte (ADR 0014). smol-toml parses the document but gives no positions;
// this scanner finds each assignment's line and value span. It understands what can hide a `=` or `#` from a
// naive reader: basic and literal strings (one-line and multi-line), and arrays / inline tables across lines.
// It is meant for text smol-toml has accepted: on malformed text its spans are best effort.

/** One `key = value`: its table (the last `[header]`), its dotted key, and where its value is. */
export interface TomlAssignment {
  table: string[];
  key: string[];
  /** 0-based line of the key. */
  line: number;
  /** The value's span in the whole text (offsets, end exclusive); a multi-line value spans lines. */
  from: number;
  to: number;
  /** False for a multi-line string, array or inline table that goes on past its key's line. */
  singleLine: boolean;
}

export interface TomlHeader {
  path: string[];
  line: number;
  arrayOfTables: boolean;
}

export interface TomlLayout {
  assignments: TomlAssignment[];
  headers: TomlHeader[];
  /** 0-based lines that hold only a comment (a `#` outside any value). */
  commentLines: number[];
}

const BARE_KEY = /[A-Za-z0-9_-]/;

/** A cursor over the whole text; `pos` moves forward only. */
class Cursor {
  pos = 0;
  constructor(readonly text: string) {}
  get ch(): string {
    return this.text[this.pos] ?? "";
  }
  at(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }
  skipSpaces(): void {
    while (this.ch === " " || this.ch === "\t") this.pos++;
  }
  /** To the end of the line (before `\r\n` or `\n`). */
  skipToLineEnd(): void {
    // One search instead of a step per character: comments are most of a config file, and this runs at start.
    const newline = this.text.indexOf("\n", this.pos);
    const end = newline < 0 ? this.text.length : newline;
    this.pos = end > this.pos && this.text[end - 1] === "\r" ? end - 1 : end;
  }
}

/** Skips a string starting at the cursor; returns its unescaped content (keys need it). */
function readString(c: Cursor): string {
  const quote = c.ch;
  const multi = c.at(quote.repeat(3));
  c.pos += multi ? 3 : 1;
  let out = "";
  while (c.pos < c.text.length) {
    if (multi ? c.at(quote.repeat(3)) : c.ch === quote) {
      c.pos += multi ? 3 : 1;
      // `""""` and `"""""`: up to two quotes just before the closing delimiter belong to the string.
      if (multi) for (let i = 0; i < 2 && c.ch === quote; i++) c.pos++;
      return out;
    }
    if (quote === '"' && c.ch === "\\") {
      out += c.text.slice(c.pos, c.pos + 2);
      c.pos += 2;
      continue;
    }
    if (!multi && c.ch === "\n") return out;
    out += c.ch;
    c.pos++;
  }
  return out;
}

/** A basic string's escapes (`\\n`, `\\"`, `\\u00e9`…) resolved; JSON's are TOML's but for `\\U` and `\\e`. */
function unescapeBasic(raw: string): string {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

/** A dotted key at the cursor: `a`, `"a b".c`, `'x' . y`. */
function readKey(c: Cursor): string[] {
  const parts: string[] = [];
  for (;;) {
    c.skipSpaces();
    if (c.ch === '"' || c.ch === "'") {
      const quote = c.ch;
      const raw = readString(c);
      parts.push(quote === '"' ? unescapeBasic(raw) : raw);
    } else {
      const start = c.pos;
      while (BARE_KEY.test(c.ch)) c.pos++;
      parts.push(c.text.slice(start, c.pos));
    }
    c.skipSpaces();
    if (c.ch !== ".") return parts;
    c.pos++;
  }
}

/** Skips a value; arrays and inline tables may span lines and hold comments. */
function skipValue(c: Cursor): void {
  if (c.ch === '"' || c.ch === "'") {
    readString(c);
    return;
  }
  if (c.ch === "[" || c.ch === "{") {
    let depth = 0;
    while (c.pos < c.text.length) {
      const ch = c.text[c.pos]!;
      if (ch === '"' || ch === "'") {
        readString(c);
        continue;
      }
      if (ch === "#") {
        c.skipToLineEnd();
        continue;
      }
      c.pos++;
      if (ch === "[" || ch === "{") depth++;
      else if ((ch === "]" || ch === "}") && --depth === 0) return;
    }
    return;
  }
  // A number, boolean or date: up to a comment or the line's end (a date may hold one space).
  while (c.pos < c.text.length && c.ch !== "#" && c.ch !== "\n" && !c.at("\r\n")) c.pos++;
  while (c.pos > 0 && (c.text[c.pos - 1] === " " || c.text[c.pos - 1] === "\t")) c.pos--;
}

/** Line starts of `text`, for turning offsets into (line, column). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  return starts;
}

function lineOf(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function scanToml(text: string): TomlLayout {
  const c = new Cursor(text);
  const starts = lineStarts(text);
  const layout: TomlLayout = { assignments: [], headers: [], commentLines: [] };
  let table: string[] = [];
  while (c.pos < text.length) {
    c.skipSpaces();
    const ch = c.ch;
    const line = lineOf(starts, c.pos);
    if (ch === "\n" || c.at("\r\n")) {
      c.pos += ch === "\n" ? 1 : 2;
      continue;
    }
    if (ch === "#") {
      layout.commentLines.push(line);
      c.skipToLineEnd();
      continue;
    }
    if (ch === "[") {
      const arrayOfTables = c.at("[[");
      c.pos += arrayOfTables ? 2 : 1;
      table = readKey(c);
      layout.headers.push({ path: table, line, arrayOfTables });
      c.skipToLineEnd();
      continue;
    }
    const key = readKey(c);
    if (c.ch !== "=") {
      c.skipToLineEnd();
      continue;
    }
    c.pos++;
    c.skipSpaces();
    const valueStart = c.pos;
    skipValue(c);
    const endLine = lineOf(starts, Math.max(valueStart, c.pos - 1));
    layout.assignments.push({
      table,
      key,
      line,
      from: valueStart,
      to: c.pos,
      singleLine: endLine === line,
    });
    c.skipToLineEnd();
  }
  return layout;
}

/** The dotted path of an assignment from the document's root: `table.key`. */
export const fullPath = (a: TomlAssignment): string[] => [...a.table, ...a.key];

/** The value's source text (`"abc"`, `6_000`, a multi-line string with its quotes). */
export const valueSource = (text: string, a: TomlAssignment): string => text.slice(a.from, a.to);

/** `text` with one assignment's value replaced by `source`; everything else (the comment after it) kept. */
export const replaceValue = (text: string, a: TomlAssignment, source: string): string =>
  text.slice(0, a.from) + source + text.slice(a.to);

/**
 * `text` with `line` added at the top level: after the leading comment block (so a file's header comment stays
 * first) and always before the first table header. Line endings follow the file's.
 */
export function insertTopLevel(text: string, line: string, layout: TomlLayout = scanToml(text)): string {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text === "" ? [] : text.split("\n");
  const firstHeader = layout.headers[0]?.line ?? lines.length;
  let at = 0;
  while (at < firstHeader && /^\s*#/.test(lines[at]!)) at++;
  const body = eol === "\r\n" ? `${line}\r` : line;
  lines.splice(at, 0, body);
  const out = lines.join("\n");
  return out.endsWith("\n") ? out : `${out}${eol}`;
}

/** A TOML basic string for `value` (JSON's escapes are valid TOML basic-string escapes for these). */
export function tomlString(value: string): string {
  return JSON.stringify(value).replace(/\u007f/g, "\\u007f");
}
