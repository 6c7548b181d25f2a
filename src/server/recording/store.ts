// Where recordings live: `<data-dir>/recordings/<id>.cast` and the index `metadata.json`, always replaced
// whole (temp file, fsync, rename), so a crash leaves either the old index or the new one.
// At start every recording still marked "recording" was cut short by a crash (kill -9, power loss): its cast
// is repaired (a torn last line is dropped, a missing header rewritten), an `interrupted` marker is appended at
// the time of its last event, and it is marked "interrupted".
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { rfc3339Seconds } from "../../protocol/events.js";
import { isRecordingId, type RecordingInfo } from "../../protocol/recording.js";
import { castHeader, eventLine, eventTime, headerLine, parseHeader } from "./cast.js";

export const RECORDINGS_DIR = "recordings";
export const METADATA_FILE = "metadata.json";
const INDEX_VERSION = 1;
const CHUNK = 64 * 1024;

interface IndexFile {
  version: number;
  recordings: RecordingInfo[];
}

export interface StoreLog {
  info(message: string): void;
  warn(message: string): void;
}

/** The terminal environment named in every cast header. */
export function castEnv(): Record<string, string> {
  return { SHELL: process.env.SHELL || "/bin/sh", TERM: "xterm-256color" };
}

export class RecordingStore {
  private readonly entries = new Map<string, RecordingInfo>();

  private constructor(readonly dir: string) {}

  /** Opens (creating) the recordings directory, loads the index and repairs what a crash left. */
  static open(dataDir: string, log: StoreLog): RecordingStore {
    const store = new RecordingStore(join(dataDir, RECORDINGS_DIR));
    mkdirSync(store.dir, { recursive: true, mode: 0o700 });
    store.load(log);
    store.repair(log);
    return store;
  }

  castPath(id: string): string {
    return join(this.dir, `${id}.cast`);
  }

  get(id: string): RecordingInfo | undefined {
    const entry = this.entries.get(id);
    return entry && { ...entry };
  }

  /** Newest first. */
  all(): RecordingInfo[] {
    return [...this.entries.values()]
      .map((e) => ({ ...e }))
      .sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
  }

  /** Adds or replaces an entry and writes the index. */
  put(info: RecordingInfo): void {
    this.entries.set(info.id, { ...info });
    this.save();
  }

  /** Removes the entry and its cast. */
  remove(id: string): void {
    this.entries.delete(id);
    this.save();
    rmSync(this.castPath(id), { force: true });
  }

  private get indexPath(): string {
    return join(this.dir, METADATA_FILE);
  }

  private save(): void {
    const index: IndexFile = { version: INDEX_VERSION, recordings: this.all() };
    const temp = `${this.indexPath}.${process.pid}.tmp`;
    const fd = openSync(temp, "w", 0o600);
    try {
      writeSync(fd, `${JSON.stringify(index, null, 1)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.indexPath);
    syncDir(this.dir);
  }

  private load(log: StoreLog): void {
    for (const name of readdirSync(this.dir)) {
      // Temp files of an index write that a crash interrupted: the index itself is still the previous one.
      if (name.startsWith(`${METADATA_FILE}.`) && name.endsWith(".tmp")) rmSync(join(this.dir, name));
    }
    if (!existsSync(this.indexPath)) return;
    let index: IndexFile;
    try {
      index = JSON.parse(readFileSync(this.indexPath, "utf8")) as IndexFile;
      if (!Array.isArray(index.recordings)) throw new Error("no recordings array");
    } catch (error) {
      const aside = `${this.indexPath}.unreadable-${Date.now()}`;
      renameSync(this.indexPath, aside);
      log.warn(`recordings index unreadable (${(error as Error).message}); moved to ${aside}`);
      return;
    }
    for (const entry of index.recordings) {
      if (entry && typeof entry.id === "string" && isRecordingId(entry.id)) this.entries.set(entry.id, entry);
    }
  }

  private repair(log: StoreLog): void {
    let changed = false;
    for (const entry of this.entries.values()) {
      if (entry.status !== "recording") continue;
      const path = this.castPath(entry.id);
      const startedMs = Date.parse(entry.startedAt) || Date.now();
      const header = castHeader(entry.cols, entry.rows, startedMs, castEnv());
      const result = repairCast(path, header);
      entry.status = "interrupted";
      entry.stopReason = "interrupted";
      entry.durationMs = Math.round(result.lastTime * 1000);
      entry.bytes = result.bytes;
      entry.events = result.events;
      entry.endedAt = rfc3339Seconds(result.modifiedAt);
      changed = true;
      log.warn(
        `recording ${entry.id} was interrupted; cast repaired` +
          (result.droppedBytes ? ` (dropped a torn tail of ${result.droppedBytes} bytes)` : ""),
      );
    }
    if (changed) this.save();
  }
}

export interface RepairResult {
  /** Size of the cast after the repair. */
  bytes: number;
  /** Event lines after the header (the appended marker included). */
  events: number;
  /** Time of the last event, in seconds. */
  lastTime: number;
  /** Bytes cut from the end: a torn last line, or lines that were not JSON. */
  droppedBytes: number;
  /** When the file was last written before the repair. */
  modifiedAt: Date;
}

/**
 * Makes the cast at `path` valid again after a crash: drops everything after the last complete line and any
 * trailing lines that do not parse, rewrites the header when none is left (or the file is missing), then
 * appends `[t, "m", "interrupted"]` at the time of the last event.
 */
export function repairCast(path: string, header: Parameters<typeof headerLine>[0]): RepairResult {
  const modifiedAt = existsSync(path) ? statSync(path).mtime : new Date();
  const fd = openSync(path, existsSync(path) ? "r+" : "w+", 0o600);
  try {
    const size = fstatSync(fd).size;
    let end = lastIndexOf(fd, 0x0a, size) + 1;
    let lastTime = 0;
    while (end > 0) {
      const start = lastIndexOf(fd, 0x0a, end - 1) + 1;
      const line = readRange(fd, start, end - 1).toString("utf8");
      if (start === 0) {
        if (parseHeader(line)) break;
      } else {
        const time = eventTime(line);
        if (time !== undefined) {
          lastTime = time;
          break;
        }
      }
      end = start;
    }
    const droppedBytes = size - end;
    if (end < size) ftruncateSync(fd, end);
    let position = end;
    if (end === 0) position += writeSync(fd, headerLine(header), 0);
    const marker = eventLine(lastTime, "m", "interrupted");
    position += writeSync(fd, marker, position);
    fsyncSync(fd);
    return { bytes: position, events: countLines(fd, position) - 1, lastTime, droppedBytes, modifiedAt };
  } finally {
    closeSync(fd);
  }
}

/** Position of the last `byte` before `before`, or -1. */
function lastIndexOf(fd: number, byte: number, before: number): number {
  const buffer = Buffer.allocUnsafe(CHUNK);
  let end = before;
  while (end > 0) {
    const start = Math.max(0, end - CHUNK);
    const n = readSync(fd, buffer, 0, end - start, start);
    const at = buffer.subarray(0, n).lastIndexOf(byte);
    if (at >= 0) return start + at;
    end = start;
  }
  return -1;
}

function readRange(fd: number, start: number, end: number): Buffer {
  const buffer = Buffer.allocUnsafe(Math.max(0, end - start));
  let done = 0;
  while (done < buffer.length) {
    const n = readSync(fd, buffer, done, buffer.length - done, start + done);
    if (n === 0) break;
    done += n;
  }
  return buffer.subarray(0, done);
}

function countLines(fd: number, size: number): number {
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  let lines = 0;
  for (let position = 0; position < size; ) {
    const n = readSync(fd, buffer, 0, Math.min(buffer.length, size - position), position);
    if (n === 0) break;
    const view = buffer.subarray(0, n);
    for (let i = view.indexOf(0x0a); i >= 0; i = view.indexOf(0x0a, i + 1)) lines++;
    position += n;
  }
  return lines;
}

/** Length of the cast up to its last complete line: what a reader may be given while it is still written. */
export function completeLength(path: string): number {
  const fd = openSync(path, "r");
  try {
    return lastIndexOf(fd, 0x0a, fstatSync(fd).size) + 1;
  } finally {
    closeSync(fd);
  }
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every file system lets a directory be synced; the rename is still atomic.
  }
}
