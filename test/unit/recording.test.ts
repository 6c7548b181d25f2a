// Recording pieces without a server: asciicast line encoding and the Recorder
// (buffered appends, limits, markers, input capture), each cast checked with the strict validator.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import {
  castHeader,
  eventLine,
  eventTime,
  formatSeconds,
  headerLine,
  parseHeader,
} from "../../src/server/recording/cast.js";
import { fittingPrefix, Recorder, type RecorderOptions } from "../../src/server/recording/recorder.js";
import { validateCast } from "../fixtures/asciicast.js";

const dir = mkdtempSync(join(tmpdir(), "sentinel-rec-unit-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const castPath = () => join(dir, `r${files++}.cast`);

const SAMPLE = "ASCII é ñ 日本語 中文 🙂🚀 👩‍💻 \u001b[31mred\u001b[0m \r\n tab\t end";

describe("asciicast v2 lines", () => {
  test("the header has exactly version, width, height, timestamp and env", () => {
    const line = headerLine(
      castHeader(120, 40, 1_704_067_200_999, { SHELL: "/bin/bash", TERM: "xterm-256color" }),
    );
    assert.equal(
      line,
      '{"version":2,"width":120,"height":40,"timestamp":1704067200,"env":{"SHELL":"/bin/bash","TERM":"xterm-256color"}}\n',
    );
    assert.deepEqual(parseHeader(line)?.width, 120);
    assert.equal(parseHeader("[1, 2]"), undefined);
  });

  test("events: microsecond times without exponent, JSON-escaped data, one line each", () => {
    assert.equal(eventLine(0.1234567, "o", "$ ls\r\n"), '[0.123457, "o", "$ ls\\r\\n"]\n');
    assert.equal(eventLine(0, "m", "start"), '[0.000000, "m", "start"]\n');
    assert.equal(eventLine(1e-9, "r", "80x24"), '[0.000000, "r", "80x24"]\n');
    assert.equal(formatSeconds(12345.5), "12345.500000");
    assert.equal(formatSeconds(-1), "0.000000");
    assert.equal(formatSeconds(Number.NaN), "0.000000");
    const tricky = '\u001b[1;31m"quoted" \\ back\u0000\u007f 日本 🙂\u2028\u2029';
    const line = eventLine(2.5, "o", tricky);
    assert.equal(line.split("\n").length, 2, "one line");
    assert.deepEqual(JSON.parse(line), [2.5, "o", tricky]);
    assert.equal(eventTime(line), 2.5);
    assert.equal(eventTime('{"version":2}'), undefined);
    assert.equal(eventTime('[1.0, "o", "torn'), undefined);
  });

  test("fittingPrefix never splits a character and respects the escaped size", () => {
    assert.equal(fittingPrefix("abc", 2), "ab");
    assert.equal(fittingPrefix("🙂🙂", 5), "🙂");
    assert.equal(fittingPrefix("\u001bx", 6), "\u001b");
    assert.equal(fittingPrefix("\u001bx", 5), "");
    assert.equal(fittingPrefix("abc", 0), "");
  });
});

function recorder(overrides: Partial<RecorderOptions> = {}) {
  let clock = 0;
  const limits: string[] = [];
  const path = overrides.path ?? castPath();
  const rec = Recorder.create({
    path,
    header: castHeader(80, 24, Date.now(), { SHELL: "/bin/sh", TERM: "xterm-256color" }),
    limits: { maxBytes: 1024 * 1024, maxDurationMs: 3_600_000 },
    captureInput: false,
    now: () => clock,
    onLimit: (kind) => limits.push(kind),
    ...overrides,
  });
  return {
    rec,
    path,
    limits,
    advance: (ms: number) => {
      clock += ms;
    },
    read: () => readFileSync(path),
  };
}

describe("Recorder", () => {
  test("writes a strict cast: output split mid-character stays whole, resizes only on change, markers", async () => {
    const { rec, read, advance } = recorder();
    rec.marker("start");
    const bytes = Buffer.from(SAMPLE);
    for (let i = 0; i < bytes.length; i += 3) {
      advance(5);
      rec.output(bytes.subarray(i, i + 3));
    }
    rec.resize(80, 24); // unchanged: no event
    advance(10);
    rec.resize(100, 30);
    rec.input(Buffer.from("secret\r")); // input capture is off
    await rec.close(["exit: 0", "stop: requested"]);
    const cast = validateCast(read());
    assert.equal(cast.output, SAMPLE);
    assert.deepEqual(cast.resizes, ["100x30"]);
    assert.deepEqual(cast.markers, ["start", "exit: 0", "stop: requested"]);
    assert.equal(cast.input, "");
    assert.equal(rec.bytes, read().length);
    assert.equal(rec.events, cast.events.length);
  });

  test("input is recorded only when capture is on", async () => {
    const { rec, read } = recorder({ captureInput: true });
    rec.input(Buffer.from("ls -la\r"));
    rec.input(Buffer.from("🙂").subarray(0, 2));
    rec.input(Buffer.from("🙂").subarray(2));
    await rec.close();
    assert.equal(validateCast(read(), { allowInput: true }).input, "ls -la\r🙂");
  });

  test("appends reach the file within the flush interval, without further events", async () => {
    const { rec, read } = recorder({ now: () => performance.now() });
    rec.output(Buffer.from("first line\r\n"));
    assert.ok(!read().toString().includes("first line"), "buffered, not written at once");
    await new Promise((r) => setTimeout(r, 400));
    assert.ok(read().toString().includes("first line"), "written within 250 ms");
    await rec.close();
  });

  test("a large burst is written as soon as the buffer is full", async () => {
    const { rec, read } = recorder({ flushBytes: 4096, flushIntervalMs: 60_000 });
    rec.output(Buffer.alloc(10_000, 0x61));
    await rec.flush();
    assert.ok(read().length > 10_000);
    await rec.close();
  });

  test("the size limit: the event that crosses it is cut to fit, a limit marker follows, onLimit fires once", async () => {
    const { rec, read, limits } = recorder({ limits: { maxBytes: 4096, maxDurationMs: 3_600_000 } });
    rec.output(Buffer.from("🙂".repeat(2000)));
    rec.output(Buffer.from("more"));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(limits, ["size"]);
    assert.equal(rec.limit, "size");
    assert.equal(rec.accepting, false);
    await rec.close(["stop: size-limit"]);
    const raw = read();
    assert.ok(raw.length <= 4096, `${raw.length} bytes`);
    const cast = validateCast(raw);
    assert.deepEqual(cast.markers, ["limit: size", "stop: size-limit"]);
    assert.ok(cast.output.length > 0 && /^(🙂)+$/u.test(cast.output), "a whole number of emoji");
  });

  test("the duration limit stops events with a marker", async () => {
    const { rec, read, limits, advance } = recorder({ limits: { maxBytes: 1 << 20, maxDurationMs: 1000 } });
    rec.output(Buffer.from("in time"));
    advance(1500);
    rec.output(Buffer.from("too late"));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(limits, ["duration"]);
    await rec.close(["stop: duration-limit"]);
    const cast = validateCast(read());
    assert.equal(cast.output, "in time");
    assert.deepEqual(cast.markers, ["limit: duration", "stop: duration-limit"]);
  });

  test("the duration timer fires on its own", async () => {
    const { rec, limits } = recorder({ limits: { maxBytes: 1 << 20, maxDurationMs: 50 } });
    await new Promise((r) => setTimeout(r, 120));
    assert.deepEqual(limits, ["duration"]);
    await rec.close();
  });

  test("close is idempotent and the file is never created twice", async () => {
    const { rec, path } = recorder();
    await Promise.all([rec.close(["stop: a"]), rec.close(["stop: b"])]);
    assert.deepEqual(validateCast(readFileSync(path)).markers, ["stop: a"]);
    assert.throws(() => recorder({ path }), /EEXIST/);
  });
});

describe("the strict validator", () => {
  const header = '{"version":2,"width":80,"height":24,"timestamp":1,"env":{}}\n';
  const bad: Array<[string, string | Buffer]> = [
    ["no newline at the end", `${header}[0.1, "o", "x"]`],
    ["torn last line", `${header}[0.1, "o", "x"]\n[0.2, "o", "y`],
    ["blank line", `${header}\n[0.1, "o", "x"]\n`],
    ["v1 header", '{"version":1,"width":80,"height":24}\n'],
    ["extra header key", '{"version":2,"width":80,"height":24,"timestamp":1,"env":{},"x":1}\n'],
    ["time goes back", `${header}[0.2, "o", "x"]\n[0.1, "o", "y"]\n`],
    ["exponent", `${header}[1e-7, "o", "x"]\n`],
    ["unknown type", `${header}[0.1, "x", "y"]\n`],
    ["input when capture is off", `${header}[0.1, "i", "y"]\n`],
    ["bad resize", `${header}[0.1, "r", "80,24"]\n`],
    ["lone surrogate", `${header}[0.1, "o", "\\ud83d"]\n`],
    [
      "invalid UTF-8",
      Buffer.concat([Buffer.from(`${header}[0.1, "o", "`), Buffer.from([0xff]), Buffer.from('"]\n')]),
    ],
  ];
  for (const [name, text] of bad) {
    test(`refuses: ${name}`, () => assert.throws(() => validateCast(text)));
  }
  test("accepts a minimal cast", () => {
    assert.equal(validateCast(`${header}[0.000000, "o", "x"]\n[0.5, "m", "m"]\n`).output, "x");
  });
});
