// Reading a cast on the extension side (no `vscode` import): the header, the markers (`m` events) as chapters,
// the duration, and text search over the output (`o` events) with escape sequences removed, each hit placed at
// the moment its last character was written, so the player can seek there.

export interface CastHeader {
  version: number;
  width: number;
  height: number;
  timestamp?: number;
  title?: string;
}

export interface CastMarker {
  /** Seconds from the start. */
  time: number;
  label: string;
}

export interface CastSummary {
  header: CastHeader;
  /** Time of the last event, seconds. */
  duration: number;
  events: number;
  markers: CastMarker[];
}

export interface CastHit {
  /** Seconds from the start: when the match's last character was written. */
  time: number;
  /** The line the match is on, trimmed to about 120 characters around it. */
  preview: string;
}

type CastEvent = [number, string, string];

/** Parses the header and events, skipping lines that are not events (a torn last line of a live cast). */
export function parseCast(text: string): { header: CastHeader; events: CastEvent[] } {
  let header: CastHeader | undefined;
  const events: CastEvent[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (!line) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (!header) {
      if (value && typeof value === "object" && !Array.isArray(value)) {
        const h = value as Record<string, unknown>;
        header = {
          version: Number(h.version),
          width: Number(h.width),
          height: Number(h.height),
          ...(typeof h.timestamp === "number" ? { timestamp: h.timestamp } : {}),
          ...(typeof h.title === "string" ? { title: h.title } : {}),
        };
        continue;
      }
      throw new Error("not an asciicast: the first line is not a header object");
    }
    if (
      Array.isArray(value) &&
      typeof value[0] === "number" &&
      typeof value[1] === "string" &&
      typeof value[2] === "string"
    )
      events.push([value[0], value[1], value[2]]);
  }
  if (!header) throw new Error("not an asciicast: empty");
  return { header, events };
}

export function summarizeCast(text: string): CastSummary {
  const { header, events } = parseCast(text);
  return {
    header,
    duration: events.length ? events[events.length - 1]![0] : 0,
    events: events.length,
    markers: events.filter((e) => e[1] === "m").map(([time, , label]) => ({ time, label })),
  };
}

enum State {
  Text,
  Esc,
  Csi,
  /** OSC, DCS, APC, PM, SOS: a string ended by BEL or ST. */
  Str,
  StrEsc,
  /** ESC followed by an intermediate byte (charset designations `ESC ( B`…): one more byte. */
  EscArg,
}

/**
 * Turns terminal output into plain text, one chunk at a time (sequences may span chunks): escape sequences
 * are dropped, CR LF and lone LF become a newline, lone CR, BS and other controls are dropped. Good enough to
 * find what appeared on the screen; it does not emulate cursor movement.
 */
export class TextExtractor {
  private state = State.Text;

  push(chunk: string): string {
    let out = "";
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      switch (this.state) {
        case State.Text:
          if (c === 0x1b) this.state = State.Esc;
          else if (c === 0x0a) out += "\n";
          else if (c === 0x09) out += " ";
          else if (c === 0x9b) this.state = State.Csi;
          else if (c >= 0x20 && c !== 0x7f) out += chunk[i];
          break;
        case State.Esc:
          if (c === 0x5b) this.state = State.Csi;
          else if (c === 0x5d || c === 0x50 || c === 0x5f || c === 0x5e || c === 0x58) this.state = State.Str;
          else if (c >= 0x20 && c <= 0x2f) this.state = State.EscArg;
          else this.state = State.Text;
          break;
        case State.EscArg:
          this.state = State.Text;
          break;
        case State.Csi:
          if (c >= 0x40 && c <= 0x7e) this.state = State.Text;
          else if (c === 0x1b) this.state = State.Esc;
          break;
        case State.Str:
          if (c === 0x07) this.state = State.Text;
          else if (c === 0x1b) this.state = State.StrEsc;
          break;
        case State.StrEsc:
          this.state = c === 0x5c ? State.Text : State.Str;
          break;
      }
    }
    return out;
  }
}

/** The plain text of a cast's output with, for each `o` event, where its text starts and its time. */
export class CastTextIndex {
  readonly text: string;
  private readonly offsets: number[] = [];
  private readonly times: number[] = [];

  constructor(events: ReadonlyArray<CastEvent>) {
    const extractor = new TextExtractor();
    const parts: string[] = [];
    let length = 0;
    for (const [time, code, data] of events) {
      if (code !== "o") continue;
      const piece = extractor.push(data);
      if (!piece) continue;
      this.offsets.push(length);
      this.times.push(time);
      parts.push(piece);
      length += piece.length;
    }
    this.text = parts.join("");
  }

  /** Time of the event that wrote the character at `offset`. */
  timeAt(offset: number): number {
    let lo = 0;
    let hi = this.offsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.offsets[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return this.times[lo] ?? 0;
  }

  /**
   * Case-insensitive matches of `query` (whitespace in it matches any run of whitespace), in time order, at most
   * `limit`. Every occurrence in the output stream is a hit, a redraw of the same text included.
   */
  search(query: string, limit = 200): CastHit[] {
    const q = query.trim();
    if (!q) return [];
    const pattern = new RegExp(
      q
        .split(/\s+/)
        .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .join("\\s+"),
      "gi",
    );
    const hits: CastHit[] = [];
    for (const match of this.text.matchAll(pattern)) {
      const end = match.index + match[0].length - 1;
      hits.push({ time: this.timeAt(end), preview: this.preview(match.index, match[0].length) });
      if (hits.length >= limit) break;
    }
    return hits;
  }

  private preview(index: number, length: number): string {
    const lineStart = this.text.lastIndexOf("\n", index) + 1;
    let lineEnd = this.text.indexOf("\n", index + length);
    if (lineEnd === -1) lineEnd = this.text.length;
    const from = Math.max(lineStart, index - 50);
    const to = Math.min(lineEnd, index + length + 70);
    return `${from > lineStart ? "…" : ""}${this.text.slice(from, to).trim()}${to < lineEnd ? "…" : ""}`;
  }
}

/** Search a cast's text; see CastTextIndex.search. */
export function searchCast(text: string, query: string, limit?: number): CastHit[] {
  return new CastTextIndex(parseCast(text).events).search(query, limit);
}

/** "1:05", "1:02:03". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** "512 B", "3.4 KiB", "12 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
