// One cast file being written: terminal bytes → streaming UTF-8 decoder → asciicast v2 event lines → a buffer
// appended to the file at least every 250 ms (sooner when it grows), one write at a time, in order.
// Enforces the size and duration limits: the event that would cross the size limit is cut to fit, a
// `limit: …` marker follows, and the owner is told through `onLimit` (it then closes the recording).
// The header is written synchronously on creation, so the file is a valid cast from its first moment.
import { close, closeSync, fdatasync, openSync, write, writeSync } from "node:fs";
import { Utf8StreamDecoder } from "../pty/utf8.js";
import { type CastEventType, type CastHeader, eventLine, headerLine, sizeData } from "./cast.js";

export type LimitKind = "size" | "duration";

export interface RecorderLimits {
  /** The cast file never grows past this many bytes. */
  maxBytes: number;
  /** Events stop this long after the start. */
  maxDurationMs: number;
}

export interface RecorderOptions {
  path: string;
  header: CastHeader;
  limits: RecorderLimits;
  /** Record `input()` as `i` events; when false, input is dropped. */
  captureInput: boolean;
  /** Longest time an event waits in memory before it is written. */
  flushIntervalMs?: number;
  /** Write at once when this many bytes are waiting. */
  flushBytes?: number;
  /** Monotonic clock in milliseconds. */
  now?: () => number;
  onLimit?(kind: LimitKind): void;
  onError?(error: Error): void;
}

/** Room kept under `maxBytes` for the limit marker and the closing markers. */
export const CLOSING_RESERVE_BYTES = 1024;
export const DEFAULT_FLUSH_INTERVAL_MS = 250;

export class Recorder {
  private readonly fd: number;
  private readonly start: number;
  private readonly now: () => number;
  private readonly flushIntervalMs: number;
  private readonly flushBytes: number;
  private readonly budget: number;
  private readonly outputDecoder = new Utf8StreamDecoder();
  private readonly inputDecoder = new Utf8StreamDecoder();
  private parts: string[] = [];
  private partsBytes = 0;
  private writingBytes = 0;
  private chain: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | undefined;
  private durationTimer: NodeJS.Timeout | undefined;
  private lastSeconds = 0;
  private cols: number;
  private rows: number;
  private closing: Promise<void> | undefined;
  private _bytes: number;
  private _events = 0;
  private _limit: LimitKind | undefined;
  private _error: Error | undefined;

  /** Creates the file (it must not exist) with its header; throws when that fails. */
  static create(options: RecorderOptions): Recorder {
    const fd = openSync(options.path, "wx", 0o600);
    const header = headerLine(options.header);
    try {
      writeSync(fd, header);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return new Recorder(fd, Buffer.byteLength(header), options);
  }

  private constructor(
    fd: number,
    headerBytes: number,
    private readonly options: RecorderOptions,
  ) {
    this.fd = fd;
    this._bytes = headerBytes;
    this.now = options.now ?? (() => performance.now());
    this.start = this.now();
    this.flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.flushBytes = options.flushBytes ?? 256 * 1024;
    this.budget = Math.max(headerBytes, options.limits.maxBytes - CLOSING_RESERVE_BYTES);
    this.cols = options.header.width;
    this.rows = options.header.height;
    if (Number.isFinite(options.limits.maxDurationMs)) {
      this.durationTimer = setTimeout(() => this.hitLimit("duration"), options.limits.maxDurationMs);
      this.durationTimer.unref();
    }
  }

  /** Bytes of the cast: written, being written and buffered. */
  get bytes(): number {
    return this._bytes;
  }

  /** Event lines after the header. */
  get events(): number {
    return this._events;
  }

  /** Time of the last event, in milliseconds from the start. */
  get durationMs(): number {
    return Math.round(this.lastSeconds * 1000);
  }

  /** Bytes not yet on their way to the disk or still being written: what a fast producer should wait for. */
  get backlogBytes(): number {
    return this.partsBytes + this.writingBytes;
  }

  get limit(): LimitKind | undefined {
    return this._limit;
  }

  get error(): Error | undefined {
    return this._error;
  }

  /** Whether events are still taken: not closing, no limit hit, no write failure. */
  get accepting(): boolean {
    return !this.closing && !this._limit && !this._error;
  }

  get size(): { cols: number; rows: number } {
    return { cols: this.cols, rows: this.rows };
  }

  output(chunk: Uint8Array): void {
    if (!this.accepting || chunk.length === 0) return;
    const text = this.outputDecoder.write(chunk);
    if (text) this.event("o", text);
  }

  input(chunk: Uint8Array): void {
    if (!this.options.captureInput || !this.accepting || chunk.length === 0) return;
    const text = this.inputDecoder.write(chunk);
    if (text) this.event("i", text);
  }

  /** An `r` event when the size changed. */
  resize(cols: number, rows: number): void {
    if (!this.accepting || (cols === this.cols && rows === this.rows)) return;
    this.cols = cols;
    this.rows = rows;
    this.event("r", sizeData(cols, rows));
  }

  marker(label: string): void {
    if (this.accepting) this.event("m", label);
  }

  /** Resolves once everything appended so far is in the file (or writing failed). */
  flush(): Promise<void> {
    this.writeBuffered();
    return this.chain;
  }

  /**
   * Ends the recording: what the decoders still hold, then the closing markers (these fit in the reserve even
   * after a limit), then everything is written, synced and the file closed. Idempotent.
   */
  close(markers: string[] = []): Promise<void> {
    this.closing ??= this.finish(markers);
    return this.closing;
  }

  private async finish(markers: string[]): Promise<void> {
    if (this.durationTimer) clearTimeout(this.durationTimer);
    if (!this._limit && !this._error) {
      const out = this.outputDecoder.end();
      if (out) this.append("o", out);
      const typed = this.inputDecoder.end();
      if (typed && this.options.captureInput) this.append("i", typed);
    }
    if (!this._error) for (const label of markers) this.appendAlways("m", label);
    this.writeBuffered();
    await this.chain;
    await new Promise<void>((resolve) => fdatasync(this.fd, () => resolve()));
    await new Promise<void>((resolve) => close(this.fd, () => resolve()));
  }

  private event(type: CastEventType, data: string): void {
    const seconds = this.seconds();
    if (seconds * 1000 > this.options.limits.maxDurationMs) {
      this.hitLimit("duration");
      return;
    }
    this.append(type, data, seconds);
  }

  private seconds(): number {
    const seconds = Math.max(this.lastSeconds, (this.now() - this.start) / 1000);
    this.lastSeconds = seconds;
    return seconds;
  }

  /** Appends within the budget; an `o`/`i` event that does not fit is cut to what does, then the limit hits. */
  private append(type: CastEventType, data: string, seconds = this.seconds()): void {
    const line = eventLine(seconds, type, data);
    const size = Buffer.byteLength(line);
    if (this._bytes + size <= this.budget) {
      this.push(line, size);
      return;
    }
    if (type === "o" || type === "i") {
      const room = this.budget - this._bytes - Buffer.byteLength(eventLine(seconds, type, ""));
      const part = fittingPrefix(data, room);
      if (part) {
        const cut = eventLine(seconds, type, part);
        this.push(cut, Buffer.byteLength(cut));
      }
    }
    this.hitLimit("size");
  }

  /** Markers the reserve is kept for. */
  private appendAlways(type: CastEventType, data: string): void {
    const line = eventLine(this.seconds(), type, data);
    this.push(line, Buffer.byteLength(line));
  }

  private push(line: string, size: number): void {
    this.parts.push(line);
    this.partsBytes += size;
    this._bytes += size;
    this._events++;
    if (this.partsBytes >= this.flushBytes) this.writeBuffered();
    else this.flushTimer ??= setTimeout(() => this.writeBuffered(), this.flushIntervalMs);
  }

  private hitLimit(kind: LimitKind): void {
    if (this._limit || this.closing || this._error) return;
    this._limit = kind;
    if (this.durationTimer) clearTimeout(this.durationTimer);
    this.appendAlways("m", `limit: ${kind}`);
    this.writeBuffered();
    queueMicrotask(() => this.options.onLimit?.(kind));
  }

  private writeBuffered(): void {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    if (this.partsBytes === 0) return;
    const data = Buffer.from(this.parts.length === 1 ? this.parts[0]! : this.parts.join(""), "utf8");
    this.parts = [];
    this.partsBytes = 0;
    this.writingBytes += data.length;
    this.chain = this.chain.then(() => this.writeAll(data));
  }

  private async writeAll(data: Buffer): Promise<void> {
    let offset = 0;
    try {
      while (offset < data.length && !this._error) {
        offset += await new Promise<number>((resolve, reject) =>
          write(this.fd, data, offset, data.length - offset, null, (error, written) =>
            error ? reject(error) : resolve(written),
          ),
        );
      }
    } catch (error) {
      this._error ??= error as Error;
      this.parts = [];
      this.partsBytes = 0;
      this.options.onError?.(this._error);
    } finally {
      this.writingBytes -= data.length;
    }
  }
}

/** The longest prefix of `text` (whole code points) whose JSON string body takes at most `room` UTF-8 bytes. */
export function fittingPrefix(text: string, room: number): string {
  if (room <= 0) return "";
  let used = 0;
  let end = 0;
  for (const ch of text) {
    const cost = Buffer.byteLength(JSON.stringify(ch)) - 2;
    if (used + cost > room) break;
    used += cost;
    end += ch.length;
  }
  return text.slice(0, end);
}
