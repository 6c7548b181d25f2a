// The recordings index and the repair a crash needs: torn last lines dropped, missing headers rewritten,
// recordings left "recording" closed as interrupted; the index replaced atomically.
import assert from "node:assert/strict";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { RecordingInfo } from "../../src/protocol/recording.js";
import { castHeader, eventLine, headerLine } from "../../src/server/recording/cast.js";
import { Recorder } from "../../src/server/recording/recorder.js";
import { completeLength, RecordingStore, repairCast } from "../../src/server/recording/store.js";
import { validateCast } from "../fixtures/asciicast.js";

const root = mkdtempSync(join(tmpdir(), "sentinel-rec-store-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const dir = join(root, `d${n++}`);
  mkdirSync(dir);
  return dir;
};
const header = castHeader(80, 24, 1_700_000_000_000, { SHELL: "/bin/sh", TERM: "xterm-256color" });
const quiet = { info: () => undefined, warn: () => undefined };

function entry(id: string, status: RecordingInfo["status"] = "recording"): RecordingInfo {
  return {
    id,
    session: "main",
    source: "api",
    status,
    title: "",
    cols: 80,
    rows: 24,
    followsWindow: true,
    captureInput: false,
    startedAt: "2026-11-22T10:00:00Z",
    endedAt: "",
    durationMs: 0,
    bytes: 0,
    events: 0,
  };
}

describe("repairCast", () => {
  test("a torn last line is dropped and an interrupted marker appended at the last event's time", () => {
    const path = join(fresh(), "a.cast");
    const good = headerLine(header) + eventLine(0.5, "o", "hello 🙂") + eventLine(1.25, "o", "world");
    writeFileSync(path, `${good}[1.5, "o", "tor`);
    const result = repairCast(path, header);
    assert.equal(result.droppedBytes, '[1.5, "o", "tor'.length);
    assert.equal(result.lastTime, 1.25);
    const cast = validateCast(readFileSync(path));
    assert.equal(cast.output, "hello 🙂world");
    assert.deepEqual(cast.events.at(-1), [1.25, "m", "interrupted"]);
    assert.equal(result.bytes, readFileSync(path).length);
    assert.equal(result.events, 3);
  });

  test("a torn multi-byte character, trailing garbage lines and a line cut before its newline are dropped", () => {
    const path = join(fresh(), "b.cast");
    const good = headerLine(header) + eventLine(0.1, "o", "ok");
    const torn = Buffer.from('[0.2, "o", "日本');
    writeFileSync(path, Buffer.concat([Buffer.from(`${good}not json\n`), torn.subarray(0, torn.length - 1)]));
    repairCast(path, header);
    const cast = validateCast(readFileSync(path));
    assert.equal(cast.output, "ok");
    assert.deepEqual(cast.markers, ["interrupted"]);
  });

  test("a file holding only part of its header, or no file at all, gets the header back", () => {
    const dir = fresh();
    const torn = join(dir, "c.cast");
    writeFileSync(torn, headerLine(header).slice(0, 20));
    repairCast(torn, header);
    assert.deepEqual(validateCast(readFileSync(torn)).header, header);
    const missing = join(dir, "d.cast");
    repairCast(missing, header);
    assert.deepEqual(validateCast(readFileSync(missing)).markers, ["interrupted"]);
  });

  test("a long last line (over the read chunk) is found and kept when complete", () => {
    const path = join(fresh(), "e.cast");
    const big = "x".repeat(200_000);
    writeFileSync(path, headerLine(header) + eventLine(3, "o", big));
    const result = repairCast(path, header);
    assert.equal(result.droppedBytes, 0);
    assert.equal(validateCast(readFileSync(path)).output, big);
  });

  test("completeLength stops at the last newline", () => {
    const path = join(fresh(), "f.cast");
    writeFileSync(path, `${headerLine(header)}[0.1, "o", "par`);
    assert.equal(completeLength(path), headerLine(header).length);
  });
});

describe("RecordingStore", () => {
  test("at open, recordings left 'recording' by a crash are repaired and closed as interrupted", async () => {
    const dataDir = fresh();
    const store = RecordingStore.open(dataDir, quiet);
    const id = "11111111-2222-4333-8444-555555555555";
    const done = "66666666-7777-4888-8999-aaaaaaaaaaaa";
    store.put(entry(id));
    store.put({ ...entry(done, "stopped"), stopReason: "requested" });
    const rec = Recorder.create({
      path: store.castPath(id),
      header,
      limits: { maxBytes: 1 << 20, maxDurationMs: 60_000 },
      captureInput: false,
    });
    rec.marker("start");
    rec.output(Buffer.from("before the crash"));
    await rec.flush();
    // What kill -9 in the middle of a write leaves: a line without its end.
    appendFileSync(store.castPath(id), '[9.9, "o", "half a li');
    writeFileSync(join(dataDir, "recordings", "metadata.json.4242.tmp"), "{ half an ind");

    const warnings: string[] = [];
    const reopened = RecordingStore.open(dataDir, { info: () => undefined, warn: (m) => warnings.push(m) });
    const repaired = reopened.get(id)!;
    assert.equal(repaired.status, "interrupted");
    assert.equal(repaired.stopReason, "interrupted");
    assert.ok(repaired.endedAt);
    assert.equal(repaired.bytes, readFileSync(reopened.castPath(id)).length);
    const cast = validateCast(readFileSync(reopened.castPath(id)));
    assert.equal(cast.output, "before the crash");
    assert.deepEqual(cast.markers, ["start", "interrupted"]);
    assert.equal(reopened.get(done)!.status, "stopped");
    assert.ok(warnings.some((w) => w.includes(id)));
    assert.ok(!readdirSync(join(dataDir, "recordings")).some((f) => f.endsWith(".tmp")));
    // Repaired once: the next open leaves it alone.
    const third = RecordingStore.open(dataDir, quiet);
    assert.deepEqual(third.get(id), repaired);
    await rec.close();
  });

  test("the index is written whole and read back; remove deletes the cast too", () => {
    const dataDir = fresh();
    const store = RecordingStore.open(dataDir, quiet);
    const a = entry("aaaaaaaa-0000-4000-8000-000000000001", "stopped");
    const b = {
      ...entry("aaaaaaaa-0000-4000-8000-000000000002", "stopped"),
      startedAt: "2026-11-23T10:00:00Z",
    };
    store.put(a);
    store.put(b);
    writeFileSync(store.castPath(a.id), headerLine(header));
    const index = JSON.parse(readFileSync(join(dataDir, "recordings", "metadata.json"), "utf8"));
    assert.equal(index.version, 1);
    assert.deepEqual(
      RecordingStore.open(dataDir, quiet)
        .all()
        .map((r) => r.id),
      [b.id, a.id],
      "newest first",
    );
    store.remove(a.id);
    assert.equal(existsSync(store.castPath(a.id)), false);
    assert.equal(RecordingStore.open(dataDir, quiet).get(a.id), undefined);
  });

  test("an unreadable index is moved aside, not lost, and the store starts empty", () => {
    const dataDir = fresh();
    mkdirSync(join(dataDir, "recordings"));
    writeFileSync(join(dataDir, "recordings", "metadata.json"), "{ not json");
    const warnings: string[] = [];
    const store = RecordingStore.open(dataDir, { info: () => undefined, warn: (m) => warnings.push(m) });
    assert.deepEqual(store.all(), []);
    assert.ok(
      readdirSync(join(dataDir, "recordings")).some((f) => f.startsWith("metadata.json.unreadable-")),
    );
    assert.equal(warnings.length, 1);
  });
});
