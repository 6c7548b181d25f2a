// Recordings against the real server and a real tmux on a private socket: headless API recordings that follow
// the window, `/ws/tmux?record=1` recordings of exactly what the client received, input capture, limits,
// markers, the `recording.updated` event, bad inputs, and kill -9 in the middle of a recording.
// Every cast passes the strict validator (test/fixtures/asciicast.ts) and, when it is installed, `asciinema cat`.
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, type TestContext, test } from "node:test";
import WebSocket from "ws";
import type { EventEnvelope } from "../../src/protocol/events.js";
import type { RecordingInfo, RecordingUpdatedPayload } from "../../src/protocol/recording.js";
import {
  ASCIINEMA_MISSING,
  asciinemaCat,
  hasAsciinema,
  type ParsedCast,
  validateCast,
} from "../fixtures/asciicast.js";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

let tmux: TmuxFixture;
let server: ServerHandle;
let events: { messages: EventEnvelope<RecordingUpdatedPayload>[]; ws: WebSocket };

const SHELL = "env PS1='$ ' bash --norc --noprofile";

before(async () => {
  tmux = await startTmux();
  server = await startServer({ tmuxSocket: tmux.socket });
  events = await subscribe(server);
});

after(async () => {
  events?.ws.close();
  await server?.stop();
  await tmux?.close();
});

const newShell = (name: string) => tmux.tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "40", SHELL);

/** Types a command into a session through tmux (not through any Sentinel client). */
async function type(session: string, command: string): Promise<void> {
  await tmux.tmux("send-keys", "-t", `=${session}:`, "-l", command);
  await tmux.tmux("send-keys", "-t", `=${session}:`, "Enter");
}

async function subscribe(h: ServerHandle) {
  const ws = new WebSocket(`${h.url.replace("http", "ws")}/ws/events`, ["sentinel.v1"], {
    headers: { authorization: `Bearer ${h.token}` },
  });
  const messages: EventEnvelope<RecordingUpdatedPayload>[] = [];
  ws.on("message", (data) => {
    const message = JSON.parse(data.toString());
    if (message.type === "recording.updated") messages.push(message);
  });
  ws.on("error", () => undefined);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return { ws, messages };
}

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

async function start(body: unknown, h = server): Promise<RecordingInfo> {
  const res = await h.api("/api/recordings", { method: "POST", json: body });
  return (await json<{ data: { recording: RecordingInfo } }>(res, 201)).data.recording;
}

async function get(id: string, h = server): Promise<RecordingInfo> {
  return (await json<{ data: { recording: RecordingInfo } }>(await h.api(`/api/recordings/${id}`), 200)).data
    .recording;
}

async function stop(id: string): Promise<RecordingInfo> {
  const res = await server.api(`/api/recordings/${id}/stop`, { method: "POST" });
  return (await json<{ data: { recording: RecordingInfo } }>(res, 200)).data.recording;
}

const ended = (id: string, h = server, timeoutMs = 10_000): Promise<RecordingInfo> =>
  waitFor(
    async () => {
      const r = await get(id, h);
      return r.status !== "recording" ? r : undefined;
    },
    timeoutMs,
    `recording ${id} to end`,
  ) as Promise<RecordingInfo>;

async function castBytes(id: string, h = server): Promise<Buffer> {
  const res = await h.api(`/api/recordings/${id}/cast`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/x-asciicast");
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(Number(res.headers.get("content-length")), bytes.length);
  return bytes;
}

/** The strict validator, then the real asciinema CLI on the same bytes. */
async function checkCast(
  t: TestContext,
  bytes: Buffer,
  options: { allowInput?: boolean } = {},
): Promise<ParsedCast> {
  // (A U+FFFD in the output is not a split character: tmux itself drops output mid-character when a client
  // falls behind in a burst, and redraws. The /ws/tmux test compares the output with what the client got.)
  const cast = validateCast(bytes, options);
  if (!(await hasAsciinema())) {
    t.diagnostic(`asciinema check skipped: ${ASCIINEMA_MISSING}`);
    return cast;
  }
  const dir = mkdtempSync(join(tmpdir(), "sentinel-cast-"));
  try {
    const file = join(dir, "check.cast");
    appendFileSync(file, bytes);
    const result = await asciinemaCat(file);
    assert.equal(result.code, 0, `asciinema cat failed: ${result.stderr}${result.stdout.toString()}`);
    // Through a pty the visible text survives; compare a marker from the recording.
    const visible = result.stdout.toString("utf8");
    const probe = cast.output.match(/[A-Za-z]{3,}-[A-Za-z0-9-]{3,}/)?.[0];
    if (probe) assert.ok(visible.includes(probe), `asciinema cat output holds ${probe}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return cast;
}

interface TermClient {
  ws: WebSocket;
  texts: string[];
  frames: Buffer[];
  closed: Promise<number>;
  output(): string;
}

async function attach(query: string): Promise<TermClient> {
  const ws = new WebSocket(`${server.url.replace("http", "ws")}/ws/tmux?${query}`, ["sentinel.v1"], {
    headers: { authorization: `Bearer ${server.token}` },
  });
  const texts: string[] = [];
  const frames: Buffer[] = [];
  ws.on("message", (data, isBinary) => {
    if (isBinary) frames.push(data as Buffer);
    else texts.push(data.toString());
  });
  ws.on("error", () => undefined);
  const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  await waitFor(() => texts.length > 0, 5000, "status frame");
  return { ws, texts, frames, closed, output: () => Buffer.concat(frames).toString("utf8") };
}

// A burst of multi-byte output (~1 MB from the shell, as fast as tmux takes it) so that PTY reads and 64 KiB
// frames end inside characters: 3-byte CJK, 4-byte emoji, 2-byte Latin, mixed so no read size lines up with them.
const MULTIBYTE =
  "s=$(printf '日本語🙂é中文%.0s' $(seq 1 25)); yes \"$s\" | head -n 2000; echo MB-$((20+22))-DONE";
const COLOURS = "printf '\\033[31mred-text\\033[0m \\033[1;32mbold-green\\033[0m\\n'";

describe("headless recordings (POST /api/recordings)", () => {
  test("ASCII, emoji/CJK, colours and a resize: a strict cast, read by asciinema, with start/stop events", async (t) => {
    await newShell("rec-a");
    const recording = await start({ session: "rec-a", options: { title: "demo 🙂" } });
    assert.equal(recording.status, "recording");
    assert.equal(recording.source, "api");
    assert.equal(recording.title, "demo 🙂");
    assert.equal(recording.followsWindow, true);
    assert.equal(recording.captureInput, false);
    assert.deepEqual([recording.cols, recording.rows], [120, 41], "the window plus its status line");
    // The recorder is a tmux client that does not resize the window.
    const size = async () =>
      (await tmux.tmux("display-message", "-p", "-t", "=rec-a:", "#{window_width}x#{window_height}")).trim();
    assert.equal(await size(), "120x40");

    await type("rec-a", "echo ascii-$((40+2))-line");
    await type("rec-a", COLOURS);
    await type("rec-a", MULTIBYTE);
    await waitFor(
      async () => (await castBytes(recording.id)).toString().includes("MB-42-DONE"),
      10_000,
      "output",
    );
    await tmux.tmux("resize-window", "-t", "=rec-a:", "-x", "100", "-y", "30");
    await waitFor(
      async () => (await castBytes(recording.id)).toString().includes('"r", "100x31"'),
      5000,
      "r event",
    );
    await type("rec-a", "echo after-resize");
    await waitFor(
      async () => (await castBytes(recording.id)).toString().includes("after-resize"),
      5000,
      "more",
    );

    const running = await get(recording.id);
    assert.equal(running.status, "recording");
    assert.ok(running.bytes > 0 && running.events > 3 && running.durationMs > 0);
    const stopped = await stop(recording.id);
    assert.equal(stopped.status, "stopped");
    assert.equal(stopped.stopReason, "requested");
    assert.ok(stopped.endedAt);

    const bytes = await castBytes(recording.id);
    assert.equal(stopped.bytes, bytes.length);
    const cast = await checkCast(t, bytes);
    assert.deepEqual([cast.header.width, cast.header.height], [120, 41]);
    assert.equal(cast.header.env.TERM, "xterm-256color");
    assert.ok(cast.output.includes("ascii-42-line"));
    assert.ok(cast.output.includes("日本語🙂é中文"));
    assert.match(cast.output, /\u001b\[[0-9;]*31m/, "colour sequences are kept");
    assert.ok(cast.output.includes("red-text") && cast.output.includes("bold-green"));
    assert.deepEqual(cast.resizes, ["100x31"]);
    assert.equal(cast.markers[0], "start");
    assert.equal(cast.markers.at(-1), "stop: requested");

    await waitFor(() => events.messages.filter((m) => m.payload?.recording.id === recording.id).length >= 2);
    const mine = events.messages.filter((m) => m.payload?.recording.id === recording.id);
    assert.deepEqual(
      mine.map((m) => [m.payload?.action, m.payload?.recording.status]),
      [
        ["start", "recording"],
        ["stop", "stopped"],
      ],
    );
  });

  test("a fixed size, user markers, and a session that ends: exit status and stop markers", async (t) => {
    await newShell("rec-b");
    const recording = await start({ session: "rec-b", cols: 80, rows: 24 });
    assert.equal(recording.followsWindow, false);
    await type("rec-b", "echo marked-$((1+1))");
    const marked = await server.api(`/api/recordings/${recording.id}/markers`, {
      method: "POST",
      json: { label: "deploy starts 🚀" },
    });
    assert.equal(
      (await json<{ data: { recording: RecordingInfo } }>(marked, 200)).data.recording.id,
      recording.id,
    );
    await waitFor(
      async () => (await castBytes(recording.id)).toString().includes("marked-2"),
      5000,
      "output",
    );
    await tmux.tmux("kill-session", "-t", "=rec-b");
    const done = await ended(recording.id);
    assert.equal(done.status, "stopped");
    assert.equal(done.stopReason, "session-ended");
    // tmux's client exits 0 when its session is killed; node-pty sometimes reports 1 (the EIO race of §2.4).
    assert.equal(typeof done.exitStatus, "number");
    const cast = await checkCast(t, await castBytes(recording.id));
    assert.deepEqual([cast.header.width, cast.header.height], [80, 24]);
    assert.deepEqual(cast.resizes, []);
    assert.deepEqual(cast.markers, [
      "start",
      "deploy starts 🚀",
      `exit: ${done.exitStatus}`,
      "stop: session-ended",
    ]);
    // Ended: no more markers, no second stop.
    const late = await server.api(`/api/recordings/${recording.id}/markers`, {
      method: "POST",
      json: { label: "x" },
    });
    assert.equal((await json<{ error: { code: string } }>(late, 409)).error.code, "RECORDING_NOT_ACTIVE");
    const again = await server.api(`/api/recordings/${recording.id}/stop`, { method: "POST" });
    assert.equal((await json<{ error: { code: string } }>(again, 409)).error.code, "RECORDING_NOT_ACTIVE");
  });

  test("input capture: off by default; on, it records what Sentinel clients type into the session", async (t) => {
    await newShell("rec-c");
    const withInput = await start({ session: "rec-c", options: { captureInput: true } });
    const without = await start({ session: "rec-c" });
    const client = await attach("session=rec-c");
    client.ws.send(Buffer.from("echo typed-$((3*3))\r"));
    await waitFor(() => client.output().includes("typed-9"), 5000, "echo");
    client.ws.close();
    await client.closed;
    await stop(withInput.id);
    await stop(without.id);
    const captured = await checkCast(t, await castBytes(withInput.id), { allowInput: true });
    assert.equal(captured.input, "echo typed-$((3*3))\r");
    const plain = await checkCast(t, await castBytes(without.id));
    assert.equal(plain.input, "");
    assert.ok(plain.output.includes("typed-9"));
  });

  test("limits: size and duration stop the recording with a marker and a limit event", async (t) => {
    await newShell("rec-d");
    const small = await start({ session: "rec-d", options: { maxBytes: 8192 } });
    const short = await start({ session: "rec-d", options: { maxDurationSeconds: 1 } });
    await type("rec-d", "for i in $(seq 1 400); do echo line-$i-padding-padding-padding-padding; done");
    const bySize = await ended(small.id);
    assert.equal(bySize.status, "stopped");
    assert.equal(bySize.stopReason, "size-limit");
    const sizeCast = await castBytes(small.id);
    assert.ok(sizeCast.length <= 8192, `${sizeCast.length} bytes`);
    assert.deepEqual((await checkCast(t, sizeCast)).markers.slice(-2), ["limit: size", "stop: size-limit"]);
    const byTime = await ended(short.id, server, 5000);
    assert.equal(byTime.stopReason, "duration-limit");
    const timeCast = await checkCast(t, await castBytes(short.id));
    assert.deepEqual(timeCast.markers.slice(-2), ["limit: duration", "stop: duration-limit"]);
    assert.ok(timeCast.events.at(-1)![0] < 1.5);
    await waitFor(() =>
      events.messages.some((m) => m.payload?.action === "limit" && m.payload.recording.id === short.id),
    );
    assert.ok(
      events.messages.some((m) => m.payload?.action === "limit" && m.payload.recording.id === small.id),
    );
  });

  test("list, get, delete", async () => {
    await newShell("rec-e");
    const a = await start({ session: "rec-e" });
    const list = (
      await json<{ data: { recordings: RecordingInfo[] } }>(await server.api("/api/recordings"), 200)
    ).data.recordings;
    assert.ok(list.some((r) => r.id === a.id && r.status === "recording"));
    const del = await server.api(`/api/recordings/${a.id}`, { method: "DELETE" });
    assert.equal(del.status, 204);
    assert.equal((await server.api(`/api/recordings/${a.id}`)).status, 404);
    assert.equal((await server.api(`/api/recordings/${a.id}/cast`)).status, 404);
    await waitFor(() =>
      events.messages.some((m) => m.payload?.action === "delete" && m.payload.recording.id === a.id),
    );
  });

  test("bad inputs get the error envelope", async () => {
    await newShell("rec-f");
    const missing = "00000000-0000-4000-8000-000000000000";
    const cases: Array<[string, RequestInit & { json?: unknown; auth?: boolean }, number, string]> = [
      ["/api/recordings", { method: "POST", json: {} }, 400, "session is required"],
      ["/api/recordings", { method: "POST", json: { session: "bad name" } }, 400, "invalid session name"],
      ["/api/recordings", { method: "POST", json: { session: "rec-f", cols: 80 } }, 400, "cols and rows"],
      [
        "/api/recordings",
        { method: "POST", json: { session: "rec-f", cols: 10, rows: 24 } },
        400,
        "cols must",
      ],
      [
        "/api/recordings",
        { method: "POST", json: { session: "rec-f", cols: 80, rows: 999 } },
        400,
        "rows must",
      ],
      ["/api/recordings", { method: "POST", json: { session: "rec-f", extra: 1 } }, 400, "invalid json body"],
      [
        "/api/recordings",
        { method: "POST", json: { session: "rec-f", options: { x: 1 } } },
        400,
        "invalid json",
      ],
      ["/api/recordings", { method: "POST", json: "{" }, 400, "invalid json body"],
      [
        "/api/recordings",
        { method: "POST", json: { session: "rec-f", options: { maxBytes: 0 } } },
        400,
        "maxBytes",
      ],
      [
        "/api/recordings",
        { method: "POST", json: { session: "rec-f", options: { maxDurationSeconds: -1 } } },
        400,
        "maxDurationSeconds",
      ],
      [
        "/api/recordings",
        { method: "POST", json: { session: "rec-f", options: { title: "a\nb" } } },
        400,
        "title",
      ],
      ["/api/recordings", { method: "POST", json: { session: "nope" } }, 404, "session not found"],
      ["/api/recordings", { method: "POST", json: { session: "rec-f" }, auth: false }, 401, "token"],
      ["/api/recordings/not-an-id", {}, 400, "invalid recording id"],
      [`/api/recordings/${missing}`, {}, 404, "recording not found"],
      [`/api/recordings/${missing}/cast`, {}, 404, "recording not found"],
      [`/api/recordings/${missing}/stop`, { method: "POST" }, 404, "recording not found"],
      [`/api/recordings/${missing}`, { method: "DELETE" }, 404, "recording not found"],
      [`/api/recordings/x/markers`, { method: "POST", json: { label: "a" } }, 400, "invalid recording id"],
    ];
    for (const [path, init, status, message] of cases) {
      const res = await server.api(path, init);
      const body = await json<{ error: { code: string; message: string } }>(res, status);
      assert.ok(body.error.code, path);
      assert.ok(body.error.message.includes(message), `${path}: ${body.error.message}`);
    }
    const live = await start({ session: "rec-f" });
    for (const label of ["", "   ", "x".repeat(257), "a\u0007b"]) {
      const res = await server.api(`/api/recordings/${live.id}/markers`, { method: "POST", json: { label } });
      assert.equal((await json<{ error: { code: string } }>(res, 400)).error.code, "INVALID_REQUEST");
    }
    await stop(live.id);
  });
});

describe("/ws/tmux?record=1", () => {
  test("records exactly what the client received: multi-byte split across frames, colours, a resize", async (t) => {
    await newShell("rec-w");
    const client = await attach("session=rec-w&record=1&cols=100&rows=30");
    const status = JSON.parse(client.texts[0]!);
    assert.equal(status.type, "status");
    assert.match(status.recordingId, /^[0-9a-f-]{36}$/);
    const id: string = status.recordingId;
    assert.equal((await get(id)).source, "client");

    client.ws.send(Buffer.from("echo ascii-$((40+2))-line\r"));
    client.ws.send(Buffer.from(`${COLOURS}\r`));
    // Bursts until a frame has ended inside a character (the first one nearly always does).
    const strict = new TextDecoder("utf-8", { fatal: true });
    const splitFrames = () =>
      client.frames.filter((f) => {
        try {
          strict.decode(f);
          return false;
        } catch {
          return true;
        }
      }).length;
    for (let burst = 1; burst <= 4 && (burst === 1 || splitFrames() === 0); burst++) {
      client.ws.send(Buffer.from(`${MULTIBYTE.replace("MB-", `MB${burst}-`)}\r`));
      await waitFor(() => client.output().includes(`MB${burst}-42-DONE`), 10_000, "multi-byte output");
    }
    const split = splitFrames();
    t.diagnostic(`${client.frames.length} frames, ${split} ending inside a character`);
    assert.ok(split > 0, "characters were cut at frame edges");
    client.ws.send(JSON.stringify({ type: "resize", cols: 90, rows: 28 }));
    client.ws.send(Buffer.from("echo resized-$((2*2))\r"));
    await waitFor(() => client.output().includes("resized-4"), 5000, "output after the resize");
    await new Promise((r) => setTimeout(r, 300));
    client.ws.close();
    await client.closed;

    const done = await ended(id);
    assert.equal(done.stopReason, "client-closed");
    const cast = await checkCast(t, await castBytes(id));
    // Decoded whole, as a terminal would: the same text as the recorder's chunk-by-chunk decoding.
    const received = Buffer.concat(client.frames).toString("utf8");
    assert.equal(cast.output, received, "concatenated o data = what the client received");
    assert.deepEqual([cast.header.width, cast.header.height], [100, 30]);
    assert.deepEqual(cast.resizes, ["90x28"]);
    assert.deepEqual(cast.markers, ["start", "stop: client-closed"]);
    assert.equal(cast.input, "", "keys are not recorded unless asked for");
  });

  test("recordInput=1 records the client's keys as i events", async (t) => {
    await newShell("rec-i");
    const client = await attach("session=rec-i&record=1&recordInput=1");
    const id: string = JSON.parse(client.texts[0]!).recordingId;
    client.ws.send(Buffer.from("echo in-"));
    client.ws.send(Buffer.from("🙂").subarray(0, 2));
    client.ws.send(Buffer.from("🙂").subarray(2));
    client.ws.send(Buffer.from("-put\r"));
    await waitFor(() => client.output().includes("in-🙂-put"), 5000, "echo");
    client.ws.close();
    await client.closed;
    await ended(id);
    const cast = await checkCast(t, await castBytes(id), { allowInput: true });
    assert.equal(cast.input, "echo in-🙂-put\r");
    assert.equal((await get(id)).captureInput, true);
  });

  test("the session ending ends the recording with its exit status", async (t) => {
    await newShell("rec-x");
    const client = await attach("session=rec-x&record=1");
    const id: string = JSON.parse(client.texts[0]!).recordingId;
    await tmux.tmux("kill-session", "-t", "=rec-x");
    assert.equal(await client.closed, 1000);
    const done = await ended(id);
    assert.equal(done.stopReason, "session-ended");
    assert.deepEqual((await checkCast(t, await castBytes(id))).markers.slice(-2), [
      `exit: ${done.exitStatus}`,
      "stop: session-ended",
    ]);
  });
});

describe("crash safety", () => {
  test("kill -9 mid-recording, torn last line: at restart the cast is repaired, valid and marked interrupted", async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), "sentinel-crash-"));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    await newShell("crash");
    let crashy = await startServer({ tmuxSocket: tmux.socket, dataDir });
    const recording = await start({ session: "crash" }, crashy);
    await type("crash", "echo before-$((5*5))-crash");
    // Written within 250 ms of happening, without any further event.
    await waitFor(
      () =>
        readFileSync(join(dataDir, "recordings", `${recording.id}.cast`), "utf8").includes("before-25-crash"),
      3000,
      "the output on disk",
    );
    await type("crash", "while :; do echo tick-$RANDOM; sleep 0.01; done");
    await new Promise((r) => setTimeout(r, 300));
    await crashy.stop("SIGKILL");
    const castFile = join(dataDir, "recordings", `${recording.id}.cast`);
    // What a kill in the middle of a write leaves behind.
    appendFileSync(castFile, Buffer.from('[99.5, "o", "torn 日本'.slice(0, -1)));
    assert.throws(() => validateCast(readFileSync(castFile)), "torn before the repair");

    crashy = await startServer({ tmuxSocket: tmux.socket, dataDir });
    try {
      const repaired = await get(recording.id, crashy);
      assert.equal(repaired.status, "interrupted");
      assert.equal(repaired.stopReason, "interrupted");
      const bytes = await castBytes(recording.id, crashy);
      assert.equal(repaired.bytes, bytes.length);
      const cast = await checkCast(t, bytes);
      assert.ok(cast.output.includes("before-25-crash"));
      assert.equal(cast.markers.at(-1), "interrupted");
      assert.ok(crashy.logs().includes("was interrupted"));

      // A clean shutdown closes a running recording as stopped, with its marker.
      const second = await start({ session: "crash" }, crashy);
      await crashy.stop("SIGTERM");
      crashy = await startServer({ tmuxSocket: tmux.socket, dataDir });
      const closed = await get(second.id, crashy);
      assert.equal(closed.status, "stopped");
      assert.equal(closed.stopReason, "server-shutdown");
      assert.equal(
        (await checkCast(t, await castBytes(second.id, crashy))).markers.at(-1),
        "stop: server-shutdown",
      );
    } finally {
      await crashy.stop();
      await tmux.tmux("kill-session", "-t", "=crash").catch(() => undefined);
    }
  });
});
